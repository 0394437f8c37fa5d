package assets

import (
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"
)

func TestFashionMNISTSampleHoldsFourGzippedIDXFiles(t *testing.T) {
	fsys, dir := FashionMNISTSample()
	for _, name := range []string{
		"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
		"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
	} {
		f, err := fsys.Open(path.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		head := make([]byte, 4)
		if _, err := io.ReadFull(zr, head); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// IDX magic: two zero bytes, 0x08 for unsigned bytes, then the rank.
		if head[0] != 0 || head[1] != 0 || head[2] != 8 {
			t.Errorf("%s: magic % x is not an IDX unsigned-byte header", name, head)
		}
		f.Close()
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("sample holds %d files, want 4", len(entries))
	}
}

func TestFashionMNISTLicenseNamesSourceAndLicence(t *testing.T) {
	for _, s := range []string{"MIT", "Zalando", "https://github.com/zalandoresearch/fashion-mnist"} {
		if !strings.Contains(FashionMNISTLicense, s) {
			t.Errorf("licence note lacks %q", s)
		}
	}
}
