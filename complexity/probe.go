package complexity

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/asvit/asvit/data"
)

// ProbeSource says where a Probe's data come from. The zero value draws the
// κ batch from the Fashion-MNIST sample embedded in package assets and the
// curve bases from the seed.
type ProbeSource struct {
	// Data is a dataset directory, in any format data.Open reads, whose
	// training split gives the κ batch; "" uses the embedded sample.
	Data string
	// Inputs is a float32 .npy file of shape B×C×R×R holding the κ batch,
	// used as it is (already normalised). It excludes Data.
	Inputs string
	// CurveBasis is a float32 .npy file of shape N×2 (N = C·R·R) whose two
	// orthonormal columns are u0 and u1, used for every repeat.
	CurveBasis string
}

// Probe is what a run feeds every candidate: the κ batch and one curve basis
// per repeat. Only the weights change between candidates.
type Probe struct {
	// Images is the κ batch, B×C×R×R, normalised as for training.
	Images []float32
	// Labels are the batch's classes when it comes from a dataset, for
	// measures that take a loss; nil for an inputs file.
	Labels []int64
	// Bases holds one orthonormal pair per repeat.
	Bases []Basis
}

// Basis is an orthonormal pair u0, u1 in R^N spanning the L^E circle.
type Basis struct {
	U0, U1 []float64
}

// basisTolerance bounds |‖u‖² − 1| and |⟨u0,u1⟩| for a basis read from a
// file: a float32 orthonormal pair is within N·2⁻²⁴ ≈ 1e-2 only in the worst
// case, and within about √N·2⁻²⁴ ≈ 2e-5 at 224 px in practice.
const basisTolerance = 1e-3

// NewProbe draws the κ batch and the curve bases that s and src describe.
//
// The batch is B distinct images of the training split, chosen from the seed
// and normalised by the split's statistics (gray images replicated to three
// channels when s.Channels is 3), as the authors' shuffled loader gives one.
// Each repeat's basis is the pair of left singular vectors of an N×2 standard
// Gaussian matrix drawn from the seed, in descending order of singular value,
// as torch.svd gives them.
func NewProbe(s Settings, src ProbeSource) (*Probe, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	p := &Probe{}
	var err error
	if p.Images, p.Labels, err = probeImages(s, src); err != nil {
		return nil, err
	}
	if p.Bases, err = probeBases(s, src.CurveBasis); err != nil {
		return nil, err
	}
	return p, nil
}

func probeImages(s Settings, src ProbeSource) ([]float32, []int64, error) {
	if src.Inputs != "" {
		if src.Data != "" {
			return nil, nil, errors.New("probe: both a dataset and an inputs file given; give one of them")
		}
		x, err := readInputs(s, src.Inputs)
		return x, nil, err
	}
	var d *data.Dataset
	var err error
	if src.Data == "" {
		d, err = data.OpenSample(data.OpenOptions{})
	} else {
		d, err = data.Open(src.Data, data.OpenOptions{})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("probe: %w", err)
	}
	return batchOf(s, d)
}

// batchOf gathers B images of d's training split chosen from the seed, and
// their labels.
func batchOf(s Settings, d *data.Dataset) ([]float32, []int64, error) {
	if d.Train.N < s.Batch {
		return nil, nil, fmt.Errorf("probe: the training split has %d images, fewer than the batch %d; lower the batch or use a larger dataset", d.Train.N, s.Batch)
	}
	mean, std, err := d.Normalization(s.Channels)
	if err != nil {
		return nil, nil, fmt.Errorf("probe: %w", err)
	}
	l, err := data.NewLoader(d.Train, data.LoaderOptions{Batch: s.Batch, Size: s.Image, Channels: s.Channels, Mean: mean, Std: std})
	if err != nil {
		return nil, nil, fmt.Errorf("probe: %w", err)
	}
	defer l.Close()
	b, err := l.Gather(pick(stream(s.Seed, "batch", 0), d.Train.N, s.Batch), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("probe: %w", err)
	}
	return slices.Clone(b.X), slices.Clone(b.Labels), nil
}

// pick returns k distinct indexes of 0..n-1 (a partial Fisher–Yates shuffle).
func pick(r interface{ IntN(int) int }, n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := range k {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:k]
}

func readInputs(s Settings, path string) ([]float32, error) {
	shape, x, err := data.ReadNPYFloat32(path)
	if err != nil {
		return nil, fmt.Errorf("probe inputs: %w", err)
	}
	want := []int{s.Batch, s.Channels, s.Image, s.Image}
	if !slices.Equal(shape, want) {
		return nil, fmt.Errorf("probe inputs %s: shape %v, want B×C×R×R = %v (set the batch, channels and image size to match the file)", path, shape, want)
	}
	if i := slices.IndexFunc(x, func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }); i >= 0 {
		return nil, fmt.Errorf("probe inputs %s: element %d is %v; want finite values", path, i, x[i])
	}
	return x, nil
}

func probeBases(s Settings, path string) ([]Basis, error) {
	if path != "" {
		b, err := readBasis(s, path)
		if err != nil {
			return nil, err
		}
		return slices.Repeat([]Basis{b}, s.Repeat), nil
	}
	bases := make([]Basis, s.Repeat)
	for r := range bases {
		bases[r] = drawBasis(stream(s.Seed, "basis", uint64(r)), s.inputSize())
	}
	return bases, nil
}

// drawBasis returns the left singular vectors of an n×2 standard Gaussian
// matrix A, from the eigendecomposition AᵀA = V·Σ²·Vᵀ: u_j = A·v_j/σ_j.
func drawBasis(r interface{ NormFloat64() float64 }, n int) Basis {
	a := make([]float64, 2*n) // row-major n×2, as torch.randn(n, 2)
	for i := range a {
		a[i] = r.NormFloat64()
	}
	var aa, ab, bb float64
	for i := range n {
		x, y := a[2*i], a[2*i+1]
		aa, ab, bb = aa+x*x, ab+x*y, bb+y*y
	}
	var eig mat.EigenSym
	eig.Factorize(mat.NewSymDense(2, []float64{aa, ab, ab, bb}), true)
	var v mat.Dense
	eig.VectorsTo(&v)
	vals := eig.Values(nil) // ascending: column 1 is the larger singular value
	b := Basis{U0: make([]float64, n), U1: make([]float64, n)}
	for j, u := range [2][]float64{b.U0, b.U1} {
		col := 1 - j
		s := math.Sqrt(vals[col])
		v0, v1 := v.At(0, col)/s, v.At(1, col)/s
		for i := range n {
			u[i] = a[2*i]*v0 + a[2*i+1]*v1
		}
	}
	return b
}

func readBasis(s Settings, path string) (Basis, error) {
	shape, x, err := data.ReadNPYFloat32(path)
	if err != nil {
		return Basis{}, fmt.Errorf("curve basis: %w", err)
	}
	n := s.inputSize()
	if !slices.Equal(shape, []int{n, 2}) {
		return Basis{}, fmt.Errorf("curve basis %s: shape %v, want N×2 = [%d 2] with N = C·R·R for %d channels at %d px", path, shape, n, s.Channels, s.Image)
	}
	b := Basis{U0: make([]float64, n), U1: make([]float64, n)}
	for i := range n {
		b.U0[i], b.U1[i] = float64(x[2*i]), float64(x[2*i+1])
	}
	n0, n1, d := dot(b.U0, b.U0), dot(b.U1, b.U1), dot(b.U0, b.U1)
	if !(math.Abs(n0-1) <= basisTolerance && math.Abs(n1-1) <= basisTolerance && math.Abs(d) <= basisTolerance) {
		return Basis{}, fmt.Errorf("curve basis %s: columns are not orthonormal (‖u0‖² = %.6g, ‖u1‖² = %.6g, ⟨u0,u1⟩ = %.3g); save U of U, S, V = svd(A) for an N×2 matrix A", path, n0, n1, d)
	}
	return b, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// check reports whether p fits s.
func (p *Probe) check(s Settings) error {
	n := s.inputSize()
	if len(p.Images) != s.Batch*n {
		return fmt.Errorf("probe: %d image values, want B·C·R·R = %d·%d = %d; draw the probe with the measurer's settings", len(p.Images), s.Batch, n, s.Batch*n)
	}
	if len(p.Bases) < s.Repeat {
		return fmt.Errorf("probe: %d curve bases for %d repeats; draw the probe with the measurer's settings", len(p.Bases), s.Repeat)
	}
	for r, b := range p.Bases[:s.Repeat] {
		if len(b.U0) != n || len(b.U1) != n {
			return fmt.Errorf("probe: curve basis %d has vectors of %d and %d values, want N = %d", r, len(b.U0), len(b.U1), n)
		}
	}
	return nil
}

// curve returns the L^E inputs of basis b: the points
// x_k = r(u0 cos θ_k + u1 sin θ_k) and their tangents dx/dθ =
// r(−u0 sin θ_k + u1 cos θ_k), each n×N, for θ = linspace(0, 2π, n).
func curve(b Basis, n int, radius float64) (points, tangents []float32) {
	size := len(b.U0)
	points, tangents = make([]float32, n*size), make([]float32, n*size)
	for k, th := range thetas(n) {
		c, s := math.Cos(th)*radius, math.Sin(th)*radius
		for i := range size {
			u0, u1 := b.U0[i], b.U1[i]
			points[k*size+i] = float32(u0*c + u1*s)
			tangents[k*size+i] = float32(u1*c - u0*s)
		}
	}
	return points, tangents
}

// thetas returns linspace(0, 2π, n), both ends included ([0] for n = 1).
func thetas(n int) []float64 {
	th := make([]float64, n)
	for k := 1; k < n; k++ {
		th[k] = 2 * math.Pi * float64(k) / float64(n-1)
	}
	return th
}
