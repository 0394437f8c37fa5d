package complexity

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/vit"
)

// Fast (per-sample Gram from one backward pass, one JVP) against BruteForce
// (one backward pass per sample and per feature coordinate), both in float32.
func TestFastMatchesBruteForce(t *testing.T) {
	s := smallSettings()
	fast := newMeasurer(t, s)
	s.Method = BruteForce
	brute := newMeasurer(t, s)
	for _, top := range smallTopologies(3, 11) {
		f, b := measure(t, fast, top), measure(t, brute, top)
		if f.Bad || b.Bad {
			t.Fatalf("%s: bad network (fast %v, brute force %v)", top, f.Bad, b.Bad)
		}
		for r := range s.Repeat {
			fr, br := f.PerRepeat[r], b.PerRepeat[r]
			t.Logf("%s repeat %d: κ %.6g vs %.6g, L^E %.6g vs %.6g", top, r, fr.NTKCond, br.NTKCond, fr.LengthDistortion, br.LengthDistortion)
			// Θ's entries agree to about 1e-6 (float32 sums over ~1e5
			// parameters in different orders); Weyl's bound turns that into
			// δκ/κ ≲ κ·1e-6, below 1e-3 for the κ of these networks (< 1e3).
			if e := relErr(fr.NTKCond, br.NTKCond); e > 1e-3 {
				t.Errorf("%s repeat %d: κ fast %v, brute force %v (relative error %.2g > 1e-3)", top, r, fr.NTKCond, br.NTKCond, e)
			}
			// Each speed is a float32 directional derivative either way
			// (forward mode against backward mode); no amplification.
			if e := relErr(fr.LengthDistortion, br.LengthDistortion); e > 1e-4 {
				t.Errorf("%s repeat %d: L^E fast %v, brute force %v (relative error %.2g > 1e-4)", top, r, fr.LengthDistortion, br.LengthDistortion, e)
			}
			if fr.NTKCond < 1 {
				t.Errorf("%s repeat %d: κ = %v < 1", top, r, fr.NTKCond)
			}
		}
		if f.Params != b.Params || f.FLOPs != b.FLOPs || f.Params == 0 {
			t.Errorf("%s: params/FLOPs %d/%d vs %d/%d", top, f.Params, f.FLOPs, b.Params, b.FLOPs)
		}
	}
}

func TestResultIsTheMeanOverRepeats(t *testing.T) {
	m := newMeasurer(t, smallSettings())
	r := measure(t, m, smallTopologies(1, 3)[0])
	if len(r.PerRepeat) != 2 {
		t.Fatalf("%d repeats, want 2", len(r.PerRepeat))
	}
	p := r.PerRepeat
	k, l := (p[0].NTKCond+p[1].NTKCond)/2, (p[0].LengthDistortion+p[1].LengthDistortion)/2
	// The mean is accumulated as Σ v/n rather than (Σ v)/n: one rounding apart.
	if relErr(r.NTKCond, k) > 1e-15 || relErr(r.LengthDistortion, l) > 1e-15 {
		t.Errorf("means %v, %v; want %v, %v", r.NTKCond, r.LengthDistortion, k, l)
	}
	if p[0].NTKCond == p[1].NTKCond || p[0].LengthDistortion == p[1].LengthDistortion {
		t.Errorf("repeats gave equal values %+v; each should draw its own weights and basis", p)
	}
	if got := p[0].LambdaMax / p[0].LambdaMin; relErr(got, p[0].NTKCond) > 1e-15 {
		t.Errorf("λmax/λmin = %v, κ = %v", got, p[0].NTKCond)
	}
}

func TestDeterministicForSeed(t *testing.T) {
	s := smallSettings()
	top := smallTopologies(1, 5)[0]
	a := measure(t, newMeasurer(t, s), top)
	m := newMeasurer(t, s)
	b, cached := measure(t, m, top), measure(t, m, top)
	if !cached.Timing.Cached {
		t.Error("second measurement of a topology did not reuse its session")
	}
	for _, r := range []Result{b, cached} {
		if !slices.Equal(a.PerRepeat, r.PerRepeat) {
			t.Errorf("same seed gave %+v and %+v", a.PerRepeat, r.PerRepeat)
		}
	}
	s.Seed = 1
	c := measure(t, newMeasurer(t, s), top)
	if c.PerRepeat[0].NTKCond == a.PerRepeat[0].NTKCond || c.PerRepeat[0].LengthDistortion == a.PerRepeat[0].LengthDistortion {
		t.Errorf("seeds 0 and 1 gave %+v and %+v; want different draws", a.PerRepeat[0], c.PerRepeat[0])
	}
}

// Permuting the curve points (with their tangents) or the κ batch must not
// change the measures: L^E is a sum over points and Θ's spectrum does not
// depend on the order of the samples. A graph that mixed samples would.
func TestInvariantUnderPermutation(t *testing.T) {
	s := smallSettings()
	s.Repeat, s.CurvePoints = 1, 5
	m := newMeasurer(t, s)
	top := smallTopologies(1, 7)[0]
	want := measure(t, m, top).PerRepeat[0]
	perm := []int{3, 0, 4, 2, 1}
	for _, ts := range [][]float32{m.probe.points[0].Float32s(), m.probe.tangents[0].Float32s()} {
		permuteRows(ts, perm)
	}
	permuteRows(m.probe.images.Float32s(), []int{2, 3, 1, 0})
	got := measure(t, m, top).PerRepeat[0]
	// A row may land in another GEMM block and change in its last bits.
	if e := relErr(got.LengthDistortion, want.LengthDistortion); e > 1e-6 {
		t.Errorf("L^E %v after permuting the points, %v before (relative error %.2g)", got.LengthDistortion, want.LengthDistortion, e)
	}
	// As for L^E, amplified by κ (~1e2) through λmin.
	if e := relErr(got.NTKCond, want.NTKCond); e > 1e-4 {
		t.Errorf("κ %v after permuting the batch, %v before (relative error %.2g)", got.NTKCond, want.NTKCond, e)
	}
}

// permuteRows reorders the len(perm) equal rows of x: row i becomes old row perm[i].
func permuteRows(x []float32, perm []int) {
	old, n := slices.Clone(x), len(x)/len(perm)
	for i, j := range perm {
		copy(x[i*n:(i+1)*n], old[j*n:(j+1)*n])
	}
}

// With the query-key-value and first FFN weights zeroed, every block is the
// identity and the network is affine, so its derivative along the circle
// scales with the radius: L^E(√N) = √N·L^E(1). (Not so for the nonlinear
// networks the search measures.)
func TestLengthScalesWithRadiusForAffineNetwork(t *testing.T) {
	s := smallSettings()
	s.Repeat = 1
	top := smallTopologies(1, 9)[0]
	model, err := vit.New(vit.Spec{Topology: top, Image: s.Image, Channels: s.Channels, Classes: s.Classes,
		PatchStride: vit.DefaultPatchStride, PatchDilation: vit.DefaultPatchDilation})
	if err != nil {
		t.Fatal(err)
	}
	w := weightsOf(model, model.Init(1))
	for name, v := range w.tensors {
		if strings.HasSuffix(name, "attn.qkv.weight") || strings.HasSuffix(name, "fc1.weight") {
			clear(v.data)
		}
	}
	var le [2]float64
	for i, radius := range []Radius{RadiusOne, RadiusSqrtN} {
		s.Radius = radius
		r, err := newMeasurer(t, s).MeasureWeights(context.Background(), top, w)
		if err != nil {
			t.Fatal(err)
		}
		le[i] = r.LengthDistortion
	}
	// The same float32 products, scaled by √N exactly up to float32 rounding.
	ratio := math.Sqrt(float64(s.inputSize()))
	if e := relErr(le[1], ratio*le[0]); e > 1e-5 {
		t.Errorf("L^E %v at radius √N, %v at radius 1: ratio %v, want √N = %v", le[1], le[0], le[1]/le[0], ratio)
	}
}

// weightsOf wraps values aligned with m's ParamTable as Weights.
func weightsOf(m vit.Model, values [][]float32) *Weights {
	w := &Weights{tensors: map[string]weight{}}
	for k, p := range m.ParamTable() {
		w.tensors[p.Name] = weight{shape: p.Shape, data: values[k]}
	}
	return w
}

func TestNaNWeightsMarkBad(t *testing.T) {
	s := smallSettings()
	top := smallTopologies(1, 13)[0]
	model, err := vit.New(vit.NewSpec(top, s.Image, s.Classes))
	if err != nil {
		t.Fatal(err)
	}
	values := model.Init(2)
	values[0][0] = float32(math.NaN()) // the patch embedding's weight
	r, err := newMeasurer(t, s).MeasureWeights(context.Background(), top, weightsOf(model, values))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Bad || !math.IsNaN(r.NTKCond) {
		t.Errorf("NaN weights: bad %v, κ %v; want bad and NaN", r.Bad, r.NTKCond)
	}
	if len(r.PerRepeat) != 1 {
		t.Errorf("%d repeats with given weights, want 1", len(r.PerRepeat))
	}
}

func TestMeasureErrors(t *testing.T) {
	m := newMeasurer(t, smallSettings())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Measure(ctx, smallTopologies(1, 1)[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	// S1 = 8 windows per side at 32 px gives 1×1 windows; K1 = 8 with 16 px
	// leaves no stage-4 map.
	small := smallSettings()
	small.Image = 16
	if _, err := newMeasurer(t, small).Measure(context.Background(), parse(t, seedTopology)); err == nil || !strings.Contains(err.Error(), "resolution") {
		t.Errorf("16 px: got %v, want an error about the resolution", err)
	}
	if _, err := m.MeasureWeights(context.Background(), parse(t, seedTopology), nil); err == nil {
		t.Error("nil weights accepted")
	}
	m.Close()
	m.Close()
	if _, err := m.Measure(context.Background(), parse(t, seedTopology)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: got %v", err)
	}
}

func TestNewMeasurerChecksProbe(t *testing.T) {
	initORT(t)
	s := smallSettings()
	p, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(s *Settings, p *Probe)
		want string
	}{
		{"nil probe", nil, "no probe"},
		{"batch", func(s *Settings, _ *Probe) { s.Batch = 5 }, "image values"},
		{"repeats", func(s *Settings, _ *Probe) { s.Repeat = 3 }, "curve bases"},
		{"basis size", func(_ *Settings, p *Probe) { p.Bases[1].U1 = p.Bases[1].U1[1:] }, "curve basis 1"},
		{"settings", func(s *Settings, _ *Probe) { s.Channels = 2 }, "channels"},
	} {
		s2, p2 := s, &Probe{Images: p.Images, Bases: slices.Clone(p.Bases)}
		if c.edit == nil {
			p2 = nil
		} else {
			c.edit(&s2, p2)
		}
		m, err := NewMeasurer(s2, p2)
		if err == nil {
			m.Close()
			t.Errorf("%s: accepted", c.name)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}

// κ reads the network with its LayerNorms and L^E without them: scaling
// every LayerNorm weight changes κ and leaves L^E exactly as it was.
func TestNormsOnForKappaOffForLength(t *testing.T) {
	s := smallSettings()
	top := smallTopologies(1, 17)[0]
	model, err := vit.New(vit.NewSpec(top, s.Image, s.Classes))
	if err != nil {
		t.Fatal(err)
	}
	m := newMeasurer(t, s)
	values := model.Init(3)
	before, err := m.MeasureWeights(context.Background(), top, weightsOf(model, values))
	if err != nil {
		t.Fatal(err)
	}
	scaled := 0
	for k, p := range model.ParamTable() {
		if p.Init == vit.Ones { // the LayerNorm weights
			for i := range values[k] {
				values[k][i] *= 1 + 0.5*float32(i%3)
			}
			scaled++
		}
	}
	after, err := m.MeasureWeights(context.Background(), top, weightsOf(model, values))
	if err != nil {
		t.Fatal(err)
	}
	if scaled == 0 || after.LengthDistortion != before.LengthDistortion {
		t.Errorf("L^E %v with LayerNorm weights scaled (%d norms), %v before; the L^E branch must not read them", after.LengthDistortion, scaled, before.LengthDistortion)
	}
	if relErr(after.NTKCond, before.NTKCond) < 1e-3 {
		t.Errorf("κ %v with LayerNorm weights scaled, %v before; the κ branch must apply them", after.NTKCond, before.NTKCond)
	}
}
