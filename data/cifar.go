package data

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// CIFAR10Classes are the CIFAR-10 class names, used when batches.meta.txt is
// absent.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

// A CIFAR record is its label bytes then the 32×32 red, green and blue planes.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
)

// parseCIFAR parses a CIFAR binary file of records with labelBytes label
// bytes each, returning the pixels and the label at byte labelAt of each
// record.
func parseCIFAR(b []byte, labelBytes, labelAt int) (pix []byte, labels []int, err error) {
	rec := labelBytes + cifarPixels
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("empty file")
	}
	if len(b)%rec != 0 {
		return nil, nil, fmt.Errorf("truncated or not a CIFAR file: %d bytes is not a whole number of %d-byte records (%d records and %d bytes left over)",
			len(b), rec, len(b)/rec, len(b)%rec)
	}
	n := len(b) / rec
	pix = make([]byte, n*cifarPixels)
	labels = make([]int, n)
	for i := range n {
		r := b[i*rec : (i+1)*rec]
		labels[i] = int(r[labelAt])
		copy(pix[i*cifarPixels:], r[labelBytes:])
	}
	return pix, labels, nil
}

// readCIFARFile reads one CIFAR file into a split, checking its labels.
func readCIFARFile(src source, name, split string, labelBytes, labelAt, classes int, skipBad bool) (*Split, error) {
	b, err := src.readAll(name)
	if err != nil {
		return nil, err
	}
	pix, labels, err := parseCIFAR(b, labelBytes, labelAt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.show(name), err)
	}
	s := &Split{Name: split, Images: pix, Labels: labels, N: len(labels), C: 3, H: cifarSide, W: cifarSide}
	if err := s.checkLabels(classes, skipBad, src.show(name)); err != nil {
		return nil, err
	}
	return s, nil
}

// cifar10TrainFiles lists data_batch_*.bin in numeric order.
func cifar10TrainFiles(src source) []string {
	matches, _ := fs.Glob(src.fsys, src.path("data_batch_*.bin"))
	for i, m := range matches {
		matches[i] = path.Base(m)
	}
	slices.SortFunc(matches, func(a, b string) int { // data_batch_9 before data_batch_10
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return matches
}

func readCIFAR10(src source, skipBad bool) (*Dataset, error) {
	classes, err := classNames(src, "batches.meta.txt", CIFAR10Classes)
	if err != nil {
		return nil, err
	}
	files := cifar10TrainFiles(src)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: missing data_batch_1.bin … data_batch_5.bin (CIFAR-10 training batches)", src.label)
	}
	train := &Split{Name: "train", C: 3, H: cifarSide, W: cifarSide}
	for _, f := range files {
		s, err := readCIFARFile(src, f, "train", 1, 0, len(classes), skipBad)
		if err != nil {
			return nil, err
		}
		train.appendSplit(s)
	}
	if !src.exists("test_batch.bin") {
		return nil, fmt.Errorf("%s: missing test_batch.bin (CIFAR-10 test batch)", src.label)
	}
	test, err := readCIFARFile(src, "test_batch.bin", "test", 1, 0, len(classes), skipBad)
	if err != nil {
		return nil, err
	}
	return &Dataset{Classes: classes, Train: train, Test: test}, nil
}

// cifar100Classes is the number of CIFAR-100 fine classes.
const cifar100Classes = 100

func readCIFAR100(src source, skipBad bool) (*Dataset, error) {
	numbers := make([]string, cifar100Classes)
	for i := range numbers {
		numbers[i] = fmt.Sprint(i)
	}
	classes, err := classNames(src, "fine_label_names.txt", numbers)
	if err != nil {
		return nil, err
	}
	// Each record has a coarse then a fine label byte; keep the fine one.
	var splits [2]*Split
	for i, file := range []string{"train.bin", "test.bin"} {
		if !src.exists(file) {
			return nil, fmt.Errorf("%s: missing %s (CIFAR-100)", src.label, file)
		}
		if splits[i], err = readCIFARFile(src, file, []string{"train", "test"}[i], 2, 1, cifar100Classes, skipBad); err != nil {
			return nil, err
		}
	}
	return &Dataset{Classes: classes, Train: splits[0], Test: splits[1]}, nil
}

// classNames reads one class name per non-empty line of file, which must
// give exactly len(fallback) names; fallback is used when file is absent.
func classNames(src source, file string, fallback []string) ([]string, error) {
	if !src.exists(file) {
		return append([]string(nil), fallback...), nil
	}
	b, err := src.readAll(file)
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	if len(names) != len(fallback) {
		return nil, fmt.Errorf("%s: %d class names, want %d (one per line)", src.show(file), len(names), len(fallback))
	}
	return names, nil
}
