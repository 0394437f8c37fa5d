package data

import "fmt"

// MNISTClasses and FashionMNISTClasses are the class names of the two IDX
// datasets, indexed by label.
var (
	MNISTClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// idxNames lists the accepted file names for stem (such as "train-images") of
// the given rank, in order of preference.
func idxNames(stem string, rank int) []string {
	hyphen := fmt.Sprintf("%s-idx%d-ubyte", stem, rank)
	dot := fmt.Sprintf("%s.idx%d-ubyte", stem, rank)
	return []string{hyphen, hyphen + ".gz", dot, dot + ".gz"}
}

func readIDXDataset(src source, format Format, skipBad bool) (*Dataset, error) {
	classes := MNISTClasses
	if format == FormatFashionMNIST {
		classes = FashionMNISTClasses
	}
	train, err := readIDXSplit(src, "train", "train", len(classes), skipBad)
	if err != nil {
		return nil, err
	}
	test, err := readIDXSplit(src, "test", "t10k", len(classes), skipBad)
	if err != nil {
		return nil, err
	}
	return &Dataset{Classes: append([]string(nil), classes...), Train: train, Test: test}, nil
}

// readIDXSplit reads the images and labels files named by prefix ("train" or
// "t10k").
func readIDXSplit(src source, split, prefix string, classes int, skipBad bool) (*Split, error) {
	imagesFile, imgs, err := readIDXFile(src, prefix+"-images", 3)
	if err != nil {
		return nil, err
	}
	labelsFile, labels, err := readIDXFile(src, prefix+"-labels", 1)
	if err != nil {
		return nil, err
	}
	n, h, w := imgs.dims[0], imgs.dims[1], imgs.dims[2]
	if labels.dims[0] != n {
		return nil, fmt.Errorf("%s has %d images but %s has %d labels; the two files must come from the same split",
			src.show(imagesFile), n, src.show(labelsFile), labels.dims[0])
	}
	s := &Split{Name: split, Images: imgs.elems, Labels: make([]int, n), N: n, C: 1, H: h, W: w}
	for i, l := range labels.elems {
		s.Labels[i] = int(l)
	}
	if err := s.checkLabels(classes, skipBad, src.show(labelsFile)); err != nil {
		return nil, err
	}
	return s, nil
}

type idxArray struct {
	dims  []int
	elems []byte
}

// readIDXFile finds and parses the IDX file for stem, returning its name.
func readIDXFile(src source, stem string, rank int) (string, idxArray, error) {
	names := idxNames(stem, rank)
	name := src.first(names...)
	if name == "" {
		return "", idxArray{}, fmt.Errorf("%s: missing %s (or %s.gz)", src.label, names[0], names[0])
	}
	b, err := src.readAll(name)
	if err != nil {
		return "", idxArray{}, err
	}
	dims, elems, err := parseIDX(b, rank)
	if err != nil {
		return "", idxArray{}, fmt.Errorf("%s: %w", src.show(name), err)
	}
	return name, idxArray{dims, elems}, nil
}
