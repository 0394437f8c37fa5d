package data

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/assets"
)

func TestParseIDXReadsDimsAndElements(t *testing.T) {
	b := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6}
	dims, elems, err := parseIDX(b, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{2, 1, 3}) || !bytes.Equal(elems, []byte{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("got dims %v elems %v", dims, elems)
	}
}

func TestParseIDXRejectsDamage(t *testing.T) {
	good := encodeIDX([]int{2, 2, 2}, make([]byte, 8))
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{0, 0}, "too short"},
		{"bad magic", append([]byte{1}, good[1:]...), "bad magic"},
		{"float elements", append([]byte{0, 0, 0x0D}, good[3:]...), "float32"},
		{"wrong rank", encodeIDX([]int{8}, make([]byte, 8)), "rank 1, want 3"},
		{"truncated header", good[:10], "truncated header"},
		{"zero dimension", encodeIDX([]int{0, 2, 2}, nil), "dimension 0 is zero"},
		{"truncated data", good[:len(good)-1], "truncated"},
		{"trailing data", append(slices.Clone(good), 9), "trailing"},
		{"huge dimensions", encodeIDX([]int{1 << 30, 1 << 30, 1 << 30}, nil), "exceed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := parseIDX(c.b, 3)
			mustContain(t, err, c.want)
		})
	}
}

func TestOpenIDXPlainAndGzip(t *testing.T) {
	train := synthSplit("train", 30, 1, 5, 4, 10, 0)
	test := synthSplit("test", 7, 1, 5, 4, 10, 11)
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeIDXDataset(t, dir, train, test, gz)
		d, err := Open(dir, OpenOptions{})
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if d.Format != FormatMNIST || !slices.Equal(d.Classes, MNISTClasses) {
			t.Errorf("gz=%v: format %q classes %v, want MNIST's", gz, d.Format, d.Classes)
		}
		for _, pair := range [][2]*Split{{d.Train, train}, {d.Test, test}} {
			got, want := pair[0], pair[1]
			if got.N != want.N || got.C != 1 || got.H != 5 || got.W != 4 {
				t.Errorf("gz=%v %s: shape %d×%d×%d×%d", gz, want.Name, got.N, got.C, got.H, got.W)
			}
			if !bytes.Equal(got.Images, want.Images) || !slices.Equal(got.Labels, want.Labels) {
				t.Errorf("gz=%v %s: images or labels differ from those written", gz, want.Name)
			}
		}
	}
}

func TestOpenIDXAcceptsDottedNames(t *testing.T) {
	train, test := synthSplit("train", 4, 1, 2, 2, 10, 0), synthSplit("test", 3, 1, 2, 2, 10, 0)
	dir := t.TempDir()
	writeIDXDataset(t, dir, train, test, true)
	for _, stem := range []string{"train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"} {
		dotted := strings.Replace(stem, "-idx", ".idx", 1) // train-images.idx3, as some mirrors name them
		if err := os.Rename(filepath.Join(dir, stem+"-ubyte.gz"), filepath.Join(dir, dotted+"-ubyte.gz")); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 4 || d.Test.N != 3 {
		t.Errorf("read %d and %d images, want 4 and 3", d.Train.N, d.Test.N)
	}
}

func TestOpenIDXFashionRule(t *testing.T) {
	train, test := synthSplit("train", 10, 1, 2, 2, 10, 0), synthSplit("test", 10, 1, 2, 2, 10, 0)
	root := t.TempDir()
	for _, c := range []struct {
		dir  string
		opts OpenOptions
		want Format
	}{
		{"digits", OpenOptions{}, FormatMNIST},
		{"Fashion-MNIST", OpenOptions{}, FormatFashionMNIST},
		{"FashionMNIST/raw", OpenOptions{}, FormatFashionMNIST}, // torchvision's layout
		{"MNIST/raw", OpenOptions{}, FormatMNIST},
		{"clothes", OpenOptions{Format: FormatFashionMNIST}, FormatFashionMNIST},
	} {
		dir := filepath.Join(root, c.dir)
		writeIDXDataset(t, dir, train, test, false)
		d, err := Open(dir, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		want := MNISTClasses
		if c.want == FormatFashionMNIST {
			want = FashionMNISTClasses
		}
		if d.Format != c.want || !slices.Equal(d.Classes, want) {
			t.Errorf("%s: format %q, want %q", c.dir, d.Format, c.want)
		}
	}
}

func TestOpenIDXErrorsNameTheFile(t *testing.T) {
	train, test := synthSplit("train", 6, 1, 3, 3, 10, 0), synthSplit("test", 4, 1, 3, 3, 10, 0)
	for _, c := range []struct {
		name  string
		spoil func(dir string)
		want  []string
	}{
		{"truncated gzip", func(dir string) {
			p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
			b, _ := os.ReadFile(p)
			writeFile(t, p, b[:len(b)/2])
		}, []string{"train-images-idx3-ubyte.gz", "truncated"}},
		{"bad magic", func(dir string) {
			p := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
			writeFile(t, p, gzipBytes(t, []byte("GIF89a this is not IDX")))
		}, []string{"t10k-images-idx3-ubyte.gz", "bad magic"}},
		{"label out of range", func(dir string) {
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"),
				gzipBytes(t, encodeIDX([]int{6}, []byte{0, 1, 2, 10, 4, 5})))
		}, []string{"train-labels-idx1-ubyte.gz", "label 10 of item 3", "0..9"}},
		{"count mismatch", func(dir string) {
			writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"),
				gzipBytes(t, encodeIDX([]int{3}, []byte{0, 1, 2})))
		}, []string{"t10k-images-idx3-ubyte.gz has 4 images", "t10k-labels-idx1-ubyte.gz has 3 labels"}},
		{"missing file", func(dir string) {
			os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		}, []string{"missing t10k-labels-idx1-ubyte"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXDataset(t, dir, train, test, true)
			c.spoil(dir)
			_, err := Open(dir, OpenOptions{})
			mustContain(t, err, c.want...)
		})
	}
}

func TestOpenIDXSkipBadDropsOutOfRangeLabels(t *testing.T) {
	train, test := synthSplit("train", 6, 1, 3, 3, 10, 0), synthSplit("test", 4, 1, 3, 3, 10, 0)
	dir := t.TempDir()
	writeIDXDataset(t, dir, train, test, false)
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), encodeIDX([]int{6}, []byte{0, 11, 2, 10, 4, 5}))
	d, err := Open(dir, OpenOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Skipped != 2 || d.Train.N != 4 || !slices.Equal(d.Train.Labels, []int{0, 2, 4, 5}) {
		t.Fatalf("skipped %d, kept %d with labels %v; want 2 skipped, labels [0 2 4 5]", d.Train.Skipped, d.Train.N, d.Train.Labels)
	}
	for j, i := range []int{0, 2, 4, 5} { // the kept images are the right ones
		if !bytes.Equal(d.Train.Image(j), train.Image(i)) {
			t.Errorf("kept image %d is not original image %d", j, i)
		}
	}
}

func TestOpenReportsWhatItLookedFor(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "readme.txt"), []byte("nothing here"))
	_, err := Open(dir, OpenOptions{})
	mustContain(t, err, dir, "train-images-idx3-ubyte", "data_batch_", "train.bin", "train/<class>/")
	_, err = Open(filepath.Join(dir, "absent"), OpenOptions{})
	mustContain(t, err, "absent")
	_, err = Open(dir, OpenOptions{Format: "svhn"})
	mustContain(t, err, `unknown format "svhn"`, "cifar10")
}

func FuzzParseIDX(f *testing.F) {
	f.Add(encodeIDX([]int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8}), 3)
	f.Add(encodeIDX([]int{3}, []byte{7, 8, 9}), 1)
	f.Add(encodeIDX([]int{2, 2, 2}, []byte{1, 2, 3}), 3)
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff}, 3)
	f.Add([]byte{0x1f, 0x8b, 8, 0}, 1)
	f.Fuzz(func(t *testing.T, b []byte, rank int) {
		dims, elems, err := parseIDX(b, rank)
		if err != nil {
			return
		}
		// What parses re-encodes to the same bytes.
		if !bytes.Equal(encodeIDX(dims, elems), b) {
			t.Fatalf("dims %v and %d elements do not re-encode to the input", dims, len(elems))
		}
	})
}

// BenchmarkParseIDX gunzips and parses the embedded sample's 2,000 training
// images, real data whose compression ratio is typical.
func BenchmarkParseIDX(b *testing.B) {
	fsys, dir := assets.FashionMNISTSample()
	gz, err := fs.ReadFile(fsys, path.Join(dir, "train-images-idx3-ubyte.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(2000 * 28 * 28)
	for b.Loop() {
		raw, err := readMaybeGzip(bytes.NewReader(gz), int64(len(gz)))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := parseIDX(raw, 3); err != nil {
			b.Fatal(err)
		}
	}
}
