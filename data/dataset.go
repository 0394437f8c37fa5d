package data

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/asvit/asvit/assets"
)

// Format names a dataset layout on disk.
type Format string

// The formats Open understands; the empty Format asks Open to detect it.
const (
	FormatMNIST        Format = "mnist"
	FormatFashionMNIST Format = "fashion-mnist"
	FormatCIFAR10      Format = "cifar10"
	FormatCIFAR100     Format = "cifar100"
	FormatImageFolder  Format = "imagefolder"
)

// Formats lists the formats Open understands.
var Formats = []Format{FormatMNIST, FormatFashionMNIST, FormatCIFAR10, FormatCIFAR100, FormatImageFolder}

// OpenOptions tunes Open. The zero value detects the format and computes the
// normalisation from the training split.
type OpenOptions struct {
	// Format forces a format; empty detects it from the directory contents.
	Format Format
	// Height and Width set the common size image folders are resized to;
	// 0 takes the first training image's (in sorted class and file order).
	Height, Width int
	// Channels sets image folders to 1 (gray) or 3 (RGB) channels; 0 takes 1
	// if the first training image is gray and 3 otherwise.
	Channels int
	// Mean and Std give the per-channel normalisation on the [0,1] scale, one
	// value per native channel; nil computes them from the training split.
	Mean, Std []float32
	// SkipBad skips undecodable images and items with out-of-range labels,
	// counting them in Split.Skipped, instead of failing.
	SkipBad bool
}

// Dataset is a training and a test split with what is needed to normalise them.
type Dataset struct {
	Format      Format
	Dir         string   // the directory it was read from
	Classes     []string // class names, indexed by label
	Train, Test *Split
	// Mean and Std hold, per native channel and on the [0,1] scale, the mean
	// and standard deviation of the training pixels (or OpenOptions'),
	// computed at the stored size.
	Mean, Std []float32
}

// Split is one part of a dataset, held as uint8 images.
type Split struct {
	Name       string  // "train" or "test"
	Images     []uint8 // N×C×H×W, row-major
	Labels     []int   // N labels in [0, number of classes)
	N, C, H, W int
	Skipped    int // items dropped by OpenOptions.SkipBad
}

// Image returns image i as a C×H×W view into s.Images.
func (s *Split) Image(i int) []uint8 {
	n := s.C * s.H * s.W
	return s.Images[i*n : (i+1)*n]
}

// check checks that a split, possibly built by the caller, is consistent.
func (s *Split) check() error {
	switch {
	case s == nil || s.N == 0:
		return fmt.Errorf("split has no images")
	case s.C != 1 && s.C != 3:
		return fmt.Errorf("split %q has %d channels; want 1 or 3", s.Name, s.C)
	case s.H < 1 || s.W < 1 || s.H > maxSide || s.W > maxSide:
		return fmt.Errorf("split %q has images of %d×%d; want sides in 1..%d", s.Name, s.H, s.W, maxSide)
	case len(s.Images) != s.N*s.C*s.H*s.W || len(s.Labels) != s.N:
		return fmt.Errorf("split %q holds %d pixel bytes and %d labels; want %d×%d×%d×%d and %d",
			s.Name, len(s.Images), len(s.Labels), s.N, s.C, s.H, s.W, s.N)
	}
	return nil
}

// Channels returns the native channel count, 1 or 3.
func (d *Dataset) Channels() int { return d.Train.C }

// Open reads the dataset in directory dir, detecting its format unless
// opts.Format is set.
func Open(dir string, opts OpenOptions) (*Dataset, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory; give the directory that holds the dataset", dir)
	}
	hint := dir
	if abs, err := filepath.Abs(dir); err == nil {
		hint = abs
	}
	return open(source{fsys: os.DirFS(dir), dir: ".", label: dir, hint: hint}, opts)
}

// OpenFS reads the dataset in directory dir of fsys, like Open.
func OpenFS(fsys fs.FS, dir string, opts OpenOptions) (*Dataset, error) {
	info, err := fs.Stat(fsys, dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory; give the directory that holds the dataset", dir)
	}
	return open(source{fsys: fsys, dir: dir, label: dir, hint: dir}, opts)
}

// OpenSample reads the Fashion-MNIST sample embedded in package assets:
// 2,000 training and 500 test images.
func OpenSample(opts OpenOptions) (*Dataset, error) {
	fsys, dir := assets.FashionMNISTSample()
	if opts.Format == "" {
		opts.Format = FormatFashionMNIST
	}
	return OpenFS(fsys, dir, opts)
}

func open(src source, opts OpenOptions) (*Dataset, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	format := opts.Format
	if format == "" {
		var err error
		if format, err = detect(src); err != nil {
			return nil, err
		}
	}
	var d *Dataset
	var err error
	switch format {
	case FormatMNIST, FormatFashionMNIST:
		d, err = readIDXDataset(src, format, opts.SkipBad)
	case FormatCIFAR10:
		d, err = readCIFAR10(src, opts.SkipBad)
	case FormatCIFAR100:
		d, err = readCIFAR100(src, opts.SkipBad)
	case FormatImageFolder:
		d, err = readImageFolder(src, opts)
	}
	if err != nil {
		return nil, err
	}
	d.Format, d.Dir = format, src.label
	for _, s := range []*Split{d.Train, d.Test} {
		if s.N == 0 {
			return nil, fmt.Errorf("%s: the %s split has no usable images", src.label, s.Name)
		}
	}
	if t, e := d.Train, d.Test; t.C != e.C || t.H != e.H || t.W != e.W {
		return nil, fmt.Errorf("%s: test images are %d×%d×%d but training images are %d×%d×%d",
			src.label, e.C, e.H, e.W, t.C, t.H, t.W)
	}
	if opts.Mean != nil {
		if len(opts.Mean) != d.Channels() {
			return nil, fmt.Errorf("%s: %d mean and std values given for %d channels", src.label, len(opts.Mean), d.Channels())
		}
		d.Mean, d.Std = append([]float32(nil), opts.Mean...), append([]float32(nil), opts.Std...)
	} else {
		d.Mean, d.Std = pixelStats(d.Train, d.Channels())
	}
	return d, nil
}

func (o OpenOptions) check() error {
	if o.Format != "" && !isFormat(o.Format) {
		return fmt.Errorf("unknown format %q; use one of %s or leave it empty to detect", o.Format, formatList())
	}
	if o.Height < 0 || o.Width < 0 || o.Height > maxSide || o.Width > maxSide {
		return fmt.Errorf("image size %d×%d is out of range; use 0 (first image's) or 1..%d", o.Height, o.Width, maxSide)
	}
	if o.Channels != 0 && o.Channels != 1 && o.Channels != 3 {
		return fmt.Errorf("channels %d is not allowed; use 0 (first image's), 1 or 3", o.Channels)
	}
	return checkNorm(o.Mean, o.Std)
}

// maxSide bounds image sides, so sizes multiply without overflow.
const maxSide = 1 << 14

func isFormat(f Format) bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// detect picks the format from the files in src.
func detect(src source) (Format, error) {
	switch {
	case src.first(idxNames("train-images", 3)...) != "":
		if src.hintsFashion() {
			return FormatFashionMNIST, nil
		}
		return FormatMNIST, nil
	case len(cifar10TrainFiles(src)) > 0 || src.exists("test_batch.bin"):
		return FormatCIFAR10, nil
	case src.exists("train.bin"):
		return FormatCIFAR100, nil
	case isDir(src, "train"):
		return FormatImageFolder, nil
	}
	return "", fmt.Errorf("no dataset found in %s: looked for IDX files (train-images-idx3-ubyte[.gz] with "+
		"train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), CIFAR-10 batches "+
		"(data_batch_*.bin, test_batch.bin), CIFAR-100 files (train.bin, test.bin) and an image folder "+
		"(train/<class>/*.png|jpg|jpeg with val/ or test/)", src.label)
}

func isDir(src source, name string) bool {
	info, err := fs.Stat(src.fsys, src.path(name))
	return err == nil && info.IsDir()
}

// checkLabels checks that the labels of s lie in [0, classes). With skipBad it
// drops the items that do not, counting them; otherwise it names the first in
// its error. file names where the split's items came from.
func (s *Split) checkLabels(classes int, skipBad bool, file string) error {
	per := s.C * s.H * s.W
	kept := 0
	for i, l := range s.Labels {
		if l < 0 || l >= classes {
			if !skipBad {
				return fmt.Errorf("%s: label %d of item %d is out of range 0..%d", file, l, i, classes-1)
			}
			s.Skipped++
			continue
		}
		if kept != i {
			copy(s.Images[kept*per:(kept+1)*per], s.Images[i*per:(i+1)*per])
			s.Labels[kept] = l
		}
		kept++
	}
	s.N, s.Labels, s.Images = kept, s.Labels[:kept], s.Images[:kept*per]
	return nil
}

// appendSplit appends the items of t to s, which must have the same image shape.
func (s *Split) appendSplit(t *Split) {
	s.Images = append(s.Images, t.Images...)
	s.Labels = append(s.Labels, t.Labels...)
	s.N += t.N
	s.Skipped += t.Skipped
}
