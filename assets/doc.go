// Package assets embeds the small default data that ships inside the binary.
//
// The Fashion-MNIST sample holds the first 2,000 training and the first 500
// test images of Fashion-MNIST (Zalando Research, MIT licence, see
// LICENSE-fashion-mnist.txt) with their labels, as gzipped IDX files under the
// standard names. Regenerate it with go generate when the full data set is
// installed (Debian package dataset-fashion-mnist).
package assets

import (
	"embed"
	"io/fs"
)

//go:generate go run ./internal/gen -src /usr/share/datasets/fashion-mnist -dst fashion-mnist -train 2000 -test 500

//go:embed fashion-mnist/*.gz
var fashionMNIST embed.FS

// FashionMNISTLicense is the licence and provenance note of the Fashion-MNIST
// sample; ship it with any copy of the binary.
//
//go:embed LICENSE-fashion-mnist.txt
var FashionMNISTLicense string

// FashionMNISTSample returns the embedded Fashion-MNIST sample: directory dir of
// fsys holds train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
func FashionMNISTSample() (fsys fs.FS, dir string) {
	return fashionMNIST, "fashion-mnist"
}
