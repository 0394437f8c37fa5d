package complexity

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/data"
)

func TestProbeFromSample(t *testing.T) {
	s := smallSettings()
	p, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	plane := s.Image * s.Image
	if len(p.Images) != s.Batch*s.Channels*plane || len(p.Bases) != s.Repeat {
		t.Fatalf("%d image values and %d bases", len(p.Images), len(p.Bases))
	}
	// Gray images replicated to three channels with one mean and std.
	for b := range s.Batch {
		img := p.Images[b*3*plane : (b+1)*3*plane]
		if !slices.Equal(img[:plane], img[plane:2*plane]) || !slices.Equal(img[:plane], img[2*plane:]) {
			t.Errorf("image %d: channels differ", b)
		}
	}
	// Normalised by the training split's statistics: the batch's mean is
	// near 0 and its spread near 1, not the raw [0,1] or [0,255] scale.
	var sum, sq float64
	for _, v := range p.Images {
		sum, sq = sum+float64(v), sq+float64(v)*float64(v)
	}
	n := float64(len(p.Images))
	if mean, sd := sum/n, math.Sqrt(sq/n-sum*sum/n/n); math.Abs(mean) > 0.5 || sd < 0.5 || sd > 2 {
		t.Errorf("batch mean %v, std %v; want a normalised batch", mean, sd)
	}
	again, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Images, again.Images) || !slices.Equal(p.Bases[1].U0, again.Bases[1].U0) {
		t.Error("the same seed drew different probes")
	}
	s.Seed = 1
	other, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(p.Images, other.Images) || slices.Equal(p.Bases[0].U0, other.Bases[0].U0) {
		t.Error("seeds 0 and 1 drew the same probe")
	}
	if slices.Equal(p.Bases[0].U0, p.Bases[1].U0) {
		t.Error("repeats share a curve basis")
	}
	s.Channels = 1
	gray, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gray.Images) != s.Batch*plane || len(gray.Bases[0].U0) != plane {
		t.Errorf("one channel: %d image values, basis of %d", len(gray.Images), len(gray.Bases[0].U0))
	}
}

func TestPickDrawsDistinctIndexes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		idx := pick(rng, 10, 10)
		slices.Sort(idx)
		if !slices.Equal(idx, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("pick(10, 10) = %v, want a permutation", idx)
		}
	}
}

// The basis spans A's columns (A = U·UᵀA), is orthonormal, and puts the
// larger singular value first (‖Aᵀu0‖ ≥ ‖Aᵀu1‖), as torch.svd does.
func TestDrawBasis(t *testing.T) {
	const n = 500
	b := drawBasis(rand.New(rand.NewPCG(5, 6)), n)
	r := rand.New(rand.NewPCG(5, 6))
	a0, a1 := make([]float64, n), make([]float64, n)
	for i := range n {
		a0[i], a1[i] = r.NormFloat64(), r.NormFloat64()
	}
	// Sums of n = 500 products of O(1) terms: ~1e-13 of rounding.
	const tol = 1e-12
	if math.Abs(dot(b.U0, b.U0)-1) > tol || math.Abs(dot(b.U1, b.U1)-1) > tol || math.Abs(dot(b.U0, b.U1)) > tol {
		t.Errorf("not orthonormal: %v %v %v", dot(b.U0, b.U0), dot(b.U1, b.U1), dot(b.U0, b.U1))
	}
	for _, col := range [][]float64{a0, a1} {
		c0, c1 := dot(b.U0, col), dot(b.U1, col)
		for i := range n {
			if d := math.Abs(col[i] - c0*b.U0[i] - c1*b.U1[i]); d > 1e-12 {
				t.Fatalf("A's column is not in span(u0, u1): residual %v at %d", d, i)
			}
		}
	}
	s0 := math.Hypot(dot(a0, b.U0), dot(a1, b.U0))
	s1 := math.Hypot(dot(a0, b.U1), dot(a1, b.U1))
	if s0 < s1 {
		t.Errorf("σ(u0) = %v < σ(u1) = %v", s0, s1)
	}
}

func TestCurve(t *testing.T) {
	b := drawBasis(rand.New(rand.NewPCG(7, 8)), 300)
	const n, radius = 6, 2.5
	points, tangents := curve(b, n, radius)
	th := thetas(n)
	if th[0] != 0 || th[n-1] != 2*math.Pi {
		t.Errorf("θ = %v, want both ends 0 and 2π", th)
	}
	if th1 := thetas(1); !slices.Equal(th1, []float64{0}) {
		t.Errorf("thetas(1) = %v, want [0] as torch.linspace", th1)
	}
	for k := range n {
		x, v := toFloat64(points[k*300:(k+1)*300]), toFloat64(tangents[k*300:(k+1)*300])
		want := circle(b, radius, []float64{th[k]})
		// Float32 storage: 2⁻²⁴ relative per element.
		for i := range x {
			if math.Abs(x[i]-want[i]) > 1e-7*radius {
				t.Fatalf("point %d element %d: %v, want %v", k, i, x[i], want[i])
			}
		}
		// dx/dθ by central differences of the float64 circle, O(h²) ≈ 1e-10.
		const h = 1e-5
		plus, minus := circle(b, radius, []float64{th[k] + h}), circle(b, radius, []float64{th[k] - h})
		for i := range v {
			if fd := (plus[i] - minus[i]) / (2 * h); math.Abs(v[i]-fd) > 1e-6*radius {
				t.Fatalf("tangent %d element %d: %v, finite differences %v", k, i, v[i], fd)
			}
		}
	}
}

func TestProbeFromFiles(t *testing.T) {
	s := smallSettings()
	dir := t.TempDir()
	n := s.inputSize()
	images := make([]float32, s.Batch*n)
	for i := range images {
		images[i] = float32(i%7) - 3
	}
	inputs := filepath.Join(dir, "x.npy")
	if err := data.WriteNPYFloat32(inputs, []int{s.Batch, s.Channels, s.Image, s.Image}, images); err != nil {
		t.Fatal(err)
	}
	drawn := drawBasis(rand.New(rand.NewPCG(9, 9)), n)
	u := make([]float32, 2*n)
	for i := range n {
		u[2*i], u[2*i+1] = float32(drawn.U0[i]), float32(drawn.U1[i])
	}
	basis := filepath.Join(dir, "u.npy")
	if err := data.WriteNPYFloat32(basis, []int{n, 2}, u); err != nil {
		t.Fatal(err)
	}
	p, err := NewProbe(s, ProbeSource{Inputs: inputs, CurveBasis: basis})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Images, images) {
		t.Error("inputs file not used as it is")
	}
	for r, b := range p.Bases {
		if b.U0[5] != float64(u[10]) || b.U1[5] != float64(u[11]) || len(b.U0) != n {
			t.Errorf("basis %d is not the file's columns", r)
		}
	}
}

func TestProbeFileErrors(t *testing.T) {
	s := smallSettings()
	dir := t.TempDir()
	n := s.inputSize()
	write := func(name string, shape []int, x []float32) string {
		path := filepath.Join(dir, name)
		if err := data.WriteNPYFloat32(path, shape, x); err != nil {
			t.Fatal(err)
		}
		return path
	}
	nanImages := make([]float32, s.Batch*n)
	nanImages[17] = float32(math.NaN())
	gaussian := make([]float32, 2*n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range gaussian {
		gaussian[i] = float32(rng.NormFloat64())
	}
	float64File := filepath.Join(dir, "f8.npy")
	if err := os.WriteFile(float64File, npyFloat64([]int{n, 2}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		src  ProbeSource
		want string
	}{
		{"inputs shape", ProbeSource{Inputs: write("a.npy", []int{s.Batch + 1, 3, 32, 32}, make([]float32, (s.Batch+1)*n))}, "want B×C×R×R = [4 3 32 32]"},
		{"inputs rank", ProbeSource{Inputs: write("b.npy", []int{s.Batch * n}, make([]float32, s.Batch*n))}, "shape [12288]"},
		{"inputs nan", ProbeSource{Inputs: write("c.npy", []int{s.Batch, 3, 32, 32}, nanImages)}, "element 17 is NaN"},
		{"inputs missing", ProbeSource{Inputs: filepath.Join(dir, "none.npy")}, "no such file"},
		{"both", ProbeSource{Inputs: "x.npy", Data: dir}, "give one of them"},
		{"basis shape", ProbeSource{CurveBasis: write("d.npy", []int{2, n}, gaussian)}, "want N×2 = [3072 2]"},
		{"basis not orthonormal", ProbeSource{CurveBasis: write("e.npy", []int{n, 2}, gaussian)}, "not orthonormal"},
		{"basis float64", ProbeSource{CurveBasis: float64File}, "float32"},
		{"dataset", ProbeSource{Data: dir}, "probe"},
	} {
		_, err := NewProbe(s, c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	bad := s
	bad.Batch = 0
	if _, err := NewProbe(bad, ProbeSource{}); err == nil {
		t.Error("invalid settings accepted")
	}
	if _, err := NewProbe(s, ProbeSource{Data: tinyCIFAR(t, 3)}); err == nil || !strings.Contains(err.Error(), "fewer than the batch 4") {
		t.Errorf("3-image dataset, batch 4: got %v", err)
	}
}

// A dataset directory gives an RGB batch of its training images, resized.
func TestProbeFromDataset(t *testing.T) {
	s := smallSettings()
	s.Image = 16
	p, err := NewProbe(s, ProbeSource{Data: tinyCIFAR(t, 6)})
	if err != nil {
		t.Fatal(err)
	}
	plane := s.Image * s.Image
	if len(p.Images) != s.Batch*3*plane {
		t.Fatalf("%d image values, want %d", len(p.Images), s.Batch*3*plane)
	}
	// tinyCIFAR's channels are constant and distinct, so each plane is flat
	// and the three differ.
	img := p.Images[:3*plane]
	for c := range 3 {
		for _, v := range img[c*plane : (c+1)*plane] {
			if v != img[c*plane] {
				t.Fatalf("channel %d is not flat", c)
			}
		}
	}
	if img[0] == img[plane] || img[plane] == img[2*plane] {
		t.Errorf("channels equal: %v %v %v", img[0], img[plane], img[2*plane])
	}
	// Image i has label i and a first channel rising with i, so the labels
	// must sort the batch as its first pixels do.
	if len(p.Labels) != s.Batch {
		t.Fatalf("%d labels for a batch of %d", len(p.Labels), s.Batch)
	}
	for a := range s.Batch {
		for b := range s.Batch {
			if pa, pb := p.Images[a*3*plane], p.Images[b*3*plane]; (pa < pb) != (p.Labels[a] < p.Labels[b]) {
				t.Fatalf("images %d and %d: pixels %v, %v but labels %d, %d", a, b, pa, pb, p.Labels[a], p.Labels[b])
			}
		}
	}
}

// tinyCIFAR writes a CIFAR-10 directory whose n training images (and one
// test image) are flat per channel, each channel a different function of
// the image index (so that they differ even after normalisation).
func tinyCIFAR(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	record := func(i int) []byte {
		r := make([]byte, 1+3*1024)
		r[0] = byte(i % 10)
		for c := range 3 {
			for p := range 1024 {
				r[1+c*1024+p] = byte(i * (c + 1) * (c + 1) * 37 % 251)
			}
		}
		return r
	}
	var train []byte
	for i := range n {
		train = append(train, record(i)...)
	}
	for name, b := range map[string][]byte{"data_batch_1.bin": train, "test_batch.bin": record(n)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// npyFloat64 returns a version-1 .npy file of zeros with dtype '<f8'.
func npyFloat64(shape []int) []byte {
	dims := make([]string, len(shape))
	count := 1
	for i, d := range shape {
		dims[i], count = fmt.Sprint(d), count*d
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s,), }", strings.Join(dims, ", "))
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(make([]byte, 8*count))
	return b.Bytes()
}
