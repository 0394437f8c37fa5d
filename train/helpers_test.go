package train

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

const (
	seedArch = "8,2,3|4,1,2|4,1,4|4,1,6|32"
	// tinyArch is a small network for tests: widths 4, 8, 16, 32.
	tinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"
)

// newModel builds arch on channels×image×image inputs with the given
// classes and patch stride (dilation 1).
func newModel(tb testing.TB, arch string, image, channels, classes, stride int) vit.Model {
	tb.Helper()
	top, err := vit.Parse(arch)
	if err != nil {
		tb.Fatal(err)
	}
	spec := vit.NewSpec(top, image, classes)
	spec.Channels, spec.PatchStride = channels, stride
	m, err := vit.New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func newStepper(tb testing.TB, m vit.Model, weights [][]float32, opts StepperOptions) *Stepper {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
	}
	s, err := NewStepper(m, weights, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Destroy)
	return s
}

// randomBatch returns n standard-normal images of per values and labels
// below classes.
func randomBatch(seed uint64, n, per, classes int) ([]float32, []int64) {
	r := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*per)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	l := make([]int64, n)
	for i := range l {
		l[i] = int64(r.IntN(classes))
	}
	return x, l
}

// stripes draws a side×side gray image of class 0 (horizontal stripes) or
// 1 (vertical stripes) with a random period, phase and noise, in 0..255.
func stripes(r *rand.Rand, class, side int) []uint8 {
	period := 4 + r.IntN(5)
	phase := r.IntN(period)
	img := make([]uint8, side*side)
	for y := range side {
		for x := range side {
			k := y
			if class == 1 {
				k = x
			}
			v := 128 + 90*math.Sin(2*math.Pi*float64(k+phase)/float64(period)) + 25*r.NormFloat64()
			img[y*side+x] = uint8(min(255, max(0, v)))
		}
	}
	return img
}

// stripesBatch returns n normalised stripe images with balanced labels.
func stripesBatch(seed uint64, n, side int) ([]float32, []int64) {
	r := rand.New(rand.NewPCG(seed, 5))
	x := make([]float32, 0, n*side*side)
	labels := make([]int64, n)
	for i := range n {
		labels[i] = int64(i % 2)
		for _, v := range stripes(r, i%2, side) {
			x = append(x, (float32(v)/255-0.5)/0.3)
		}
	}
	return x, labels
}

// writeStripesDataset writes an image-folder dataset of stripe images,
// classes "horizontal" and "vertical", and returns its directory.
func writeStripesDataset(tb testing.TB, train, test, side int) string {
	tb.Helper()
	root := tb.TempDir()
	r := rand.New(rand.NewPCG(11, 12))
	for _, split := range []struct {
		name string
		n    int
	}{{"train", train}, {"test", test}} {
		for i := range split.n {
			class := i % 2
			dir := filepath.Join(root, split.name, []string{"horizontal", "vertical"}[class])
			if err := os.MkdirAll(dir, 0o755); err != nil {
				tb.Fatal(err)
			}
			img := image.NewGray(image.Rect(0, 0, side, side))
			for k, v := range stripes(r, class, side) {
				img.SetGray(k%side, k/side, color.Gray{Y: v})
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%04d.png", i)))
			if err != nil {
				tb.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				tb.Fatal(err)
			}
			f.Close()
		}
	}
	return root
}
