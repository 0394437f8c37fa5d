package graphgen_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
)

// fixture is a graph whose inputs get random feeds; the inputs made with in
// are the ones differentiated.
type fixture struct {
	*graphgen.Graph
	dt    graphgen.DType // of the inputs made with in
	rng   *rand.Rand
	xs    []*graphgen.Value
	feeds map[*graphgen.Value][]float64
}

func newFixture(name string, seed uint64) *fixture {
	return &fixture{Graph: graphgen.New(name), dt: graphgen.Float64, rng: rand.New(rand.NewPCG(seed, 7)), feeds: map[*graphgen.Value][]float64{}}
}

// in declares a differentiated input fed uniformly from [lo, hi).
func (f *fixture) in(lo, hi float64, shape ...int) *graphgen.Value {
	v := f.Input(fmt.Sprintf("x%d", len(f.xs)), f.dt, shape...)
	f.xs = append(f.xs, v)
	f.feeds[v] = f.uniform(v.Size(), lo, hi)
	return v
}

// aux declares an input that is fed normal values and not differentiated.
func (f *fixture) aux(name string, like *graphgen.Value) *graphgen.Value {
	v := f.Input(name, like.DType(), like.Shape()...)
	f.feeds[v] = f.normal(v.Size())
	return v
}

func (f *fixture) uniform(n int, lo, hi float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*f.rng.Float64()
	}
	return out
}

func (f *fixture) normal(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f.rng.NormFloat64()
	}
	return out
}

// run evaluates vs with the fixture's feeds, with overrides replacing some.
func (f *fixture) run(t testing.TB, vs []*graphgen.Value, overrides map[*graphgen.Value][]float64) [][]float64 {
	t.Helper()
	feeds := map[*graphgen.Value][]float64{}
	for v, d := range f.feeds {
		feeds[v] = d
	}
	for v, d := range overrides {
		feeds[v] = d
	}
	res, err := eval.Run(vs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fdStep is the central-difference step. In float64 with O(1) inputs, the
// truncation error is h²/6·|f⁽³⁾| ≈ 2e-11·|f⁽³⁾| and the rounding error about
// ε·|f|/h ≈ 2e-11·|f|, so both stay far below fdTol for the smooth,
// moderately curved functions tested (|f⁽³⁾| ≲ 100 on the chosen domains).
const (
	fdStep = 1e-5
	fdTol  = 1e-6
)

// dualTol bounds |⟨J·t, c⟩ - ⟨t, Jᵀ·c⟩| relative to the sum of the absolute
// terms: both sides are exact up to float64 rounding (~1e-16 per op, times
// chains of tens of ops), so only a wrong rule comes near it.
const dualTol = 1e-12

// near reports whether got is within tol of want, relative to max(1, |want|).
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// shifted returns the feeds of xs moved by s·dir.
func (f *fixture) shifted(dir [][]float64, s float64) map[*graphgen.Value][]float64 {
	out := map[*graphgen.Value][]float64{}
	for i, x := range f.xs {
		d := slices.Clone(f.feeds[x])
		for j := range d {
			d[j] += s * dir[i][j]
		}
		out[x] = d
	}
	return out
}

func dot(a, b []float64) (sum, abs float64) {
	for i := range a {
		sum += a[i] * b[i]
		abs += math.Abs(a[i] * b[i])
	}
	return sum, abs
}

// derivatives holds the JVP of y along random tangents dir of f.xs, fed
// through inputs, and the VJP of a random cotangent c, fed likewise.
type derivatives struct {
	jvp   *graphgen.Value
	grads []*graphgen.Value
	dir   [][]float64
	c     []float64
}

// derive appends both sweeps for y to f.
func (f *fixture) derive(t *testing.T, y *graphgen.Value) derivatives {
	t.Helper()
	var d derivatives
	tans := make([]*graphgen.Value, len(f.xs))
	for i, x := range f.xs {
		tans[i] = f.aux(fmt.Sprintf("tangent%d", i), x)
		d.dir = append(d.dir, f.feeds[tans[i]])
	}
	c := f.aux("cotangent", y)
	d.c = f.feeds[c]
	jvp, err := graphgen.JVP(f.xs, tans, []*graphgen.Value{y})
	if err != nil {
		t.Fatal(err)
	}
	d.jvp = jvp[0]
	if d.grads, err = graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{c}, f.xs); err != nil {
		t.Fatal(err)
	}
	return d
}

// checkDerivatives checks y's derivatives with respect to f.xs: the JVP
// along a random tangent against central differences of y, the VJP of a
// random cotangent against central differences of ⟨c, y⟩ (per input element
// when perElement, else along the tangent), and the two modes against each
// other through ⟨J·t, c⟩ = ⟨t, Jᵀ·c⟩.
func checkDerivatives(t *testing.T, f *fixture, y *graphgen.Value, perElement bool) {
	t.Helper()
	d := f.derive(t, y)
	dir, cdata := d.dir, d.c
	res := f.run(t, append([]*graphgen.Value{d.jvp}, d.grads...), nil)
	tangentOut, gradOut := res[0], res[1:]

	plus := f.run(t, []*graphgen.Value{y}, f.shifted(dir, fdStep))[0]
	minus := f.run(t, []*graphgen.Value{y}, f.shifted(dir, -fdStep))[0]
	for j := range plus {
		if fd := (plus[j] - minus[j]) / (2 * fdStep); !near(tangentOut[j], fd, fdTol) {
			t.Fatalf("JVP element %d: %.12g, central difference %.12g", j, tangentOut[j], fd)
		}
	}

	objective := func(shift map[*graphgen.Value][]float64) float64 {
		s, _ := dot(cdata, f.run(t, []*graphgen.Value{y}, shift)[0])
		return s
	}
	if perElement {
		for i, x := range f.xs {
			for j := range x.Size() {
				unit := make([][]float64, len(f.xs))
				for k := range unit {
					unit[k] = make([]float64, f.xs[k].Size())
				}
				unit[i][j] = 1
				fd := (objective(f.shifted(unit, fdStep)) - objective(f.shifted(unit, -fdStep))) / (2 * fdStep)
				if !near(gradOut[i][j], fd, fdTol) {
					t.Fatalf("VJP for %s element %d: %.12g, central difference %.12g", x.Name(), j, gradOut[i][j], fd)
				}
			}
		}
	} else {
		var along float64
		for i := range f.xs {
			s, _ := dot(gradOut[i], dir[i])
			along += s
		}
		if fd := (objective(f.shifted(dir, fdStep)) - objective(f.shifted(dir, -fdStep))) / (2 * fdStep); !near(along, fd, fdTol) {
			t.Fatalf("VJP along the tangent: %.12g, central difference %.12g", along, fd)
		}
	}

	lhs, lhsAbs := dot(tangentOut, cdata)
	var rhs, rhsAbs float64
	for i := range f.xs {
		s, a := dot(dir[i], gradOut[i])
		rhs, rhsAbs = rhs+s, rhsAbs+a
	}
	if math.Abs(lhs-rhs) > dualTol*(lhsAbs+rhsAbs) {
		t.Fatalf("⟨J·t, c⟩ = %.15g but ⟨t, Jᵀ·c⟩ = %.15g", lhs, rhs)
	}
}

func TestVJPAccumulatesAndZeroFills(t *testing.T) {
	f := newFixture("acc", 1)
	x := f.in(-1, 1, 3)
	unused := f.in(-1, 1, 2, 2)
	y := f.ReduceSum(f.Mul(f.Tanh(x), f.Add(x, x)), false, 0) // y = Σ 2x·tanh x
	grads, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{x, unused})
	if err != nil {
		t.Fatal(err)
	}
	res := f.run(t, grads, nil)
	// Closed forms against the graph, both in float64: a few ulps apart.
	for i, xi := range f.feeds[x] {
		th := math.Tanh(xi)
		want := 2*th + 2*xi*(1-th*th) // d/dx 2x·tanh x
		if !near(res[0][i], want, 1e-14) {
			t.Errorf("gradient %d: %.17g, want %.17g", i, res[0][i], want)
		}
	}
	if grads[1].Producer() != nil || !slices.Equal(res[1], []float64{0, 0, 0, 0}) || !slices.Equal(grads[1].Shape(), []int{2, 2}) {
		t.Errorf("unused input: gradient %v %v, want a [2 2] zero constant", grads[1], res[1])
	}
}

func TestVJPSumsOverOutputs(t *testing.T) {
	f := newFixture("outputs", 8)
	x := f.in(-1, 1, 4)
	y1, y2 := f.Exp(x), f.Sin(x)
	c1, c2 := f.aux("c1", y1), f.aux("c2", y2)
	grads, err := graphgen.VJP([]*graphgen.Value{y1, y2}, []*graphgen.Value{c1, c2}, []*graphgen.Value{x})
	if err != nil {
		t.Fatal(err)
	}
	got := f.run(t, grads, nil)[0]
	for i, xi := range f.feeds[x] { // 1e-14: closed form, a few ulps apart
		if want := f.feeds[c1][i]*math.Exp(xi) + f.feeds[c2][i]*math.Cos(xi); !near(got[i], want, 1e-14) {
			t.Errorf("element %d: %.17g, want c1·eˣ + c2·cos x = %.17g", i, got[i], want)
		}
	}
}

func TestVJPThroughIntermediate(t *testing.T) {
	f := newFixture("mid", 2)
	x := f.in(-1, 1, 4)
	h := f.Exp(x)
	y := f.ReduceSum(f.Mul(h, x), false, 0) // y = Σ x·eˣ
	grads, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{x, h})
	if err != nil {
		t.Fatal(err)
	}
	res := f.run(t, grads, nil)
	for i, xi := range f.feeds[x] { // 1e-14: closed forms, a few ulps apart
		// ∂y/∂x in total is (1+x)eˣ; ∂y/∂h with x held is x.
		if !near(res[0][i], (1+xi)*math.Exp(xi), 1e-14) || !near(res[1][i], xi, 1e-14) {
			t.Errorf("element %d: dx %.17g dh %.17g, want %.17g and %.17g", i, res[0][i], res[1][i], (1+xi)*math.Exp(xi), xi)
		}
	}
}

func TestMissingRuleNamesOp(t *testing.T) {
	f := newFixture("max", 3)
	x := f.in(-1, 1, 3)
	y := f.Max(x, f.Scalar(graphgen.Float64, 0))
	if _, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{x}); err == nil || !strings.Contains(err.Error(), "no gradient rule for op Max") {
		t.Errorf("VJP: want an error naming Max, got %v", err)
	}
	if _, err := graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{x}, []*graphgen.Value{y}); err == nil || !strings.Contains(err.Error(), "no tangent rule for op Max") {
		t.Errorf("JVP: want an error naming Max, got %v", err)
	}
}

func TestWrongRuleShapeIsReportedAsBug(t *testing.T) {
	restore := graphgen.BreakRulesForTest("Tanh")
	defer restore()
	f := newFixture("bug", 4)
	x := f.in(-1, 1, 2, 3)
	y := f.Tanh(x)
	if _, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{x}); err == nil || !strings.Contains(err.Error(), "bug in the Tanh rule") {
		t.Errorf("VJP: want a rule bug error, got %v", err)
	}
	if _, err := graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{x}, []*graphgen.Value{y}); err == nil || !strings.Contains(err.Error(), "bug in the Tanh rule") {
		t.Errorf("JVP: want a rule bug error, got %v", err)
	}
}

func TestBoundaryErrors(t *testing.T) {
	f := newFixture("bad", 5)
	x := f.in(-1, 1, 3)
	h := f.Exp(x)
	y := f.ReduceSum(h, false, 0)
	other := graphgen.New("other").Input("z", graphgen.Float64, 3)
	idx := f.Input("i", graphgen.Int64, 3)
	unrelated := f.Exp(f.Input("z", graphgen.Float64, 2))
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"seed shape", second(graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{x}, []*graphgen.Value{x})), "seed"},
		{"seed count", second(graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{nil, nil}, []*graphgen.Value{x})), "2 seeds for 1 outputs"},
		{"other graph", second(graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{other})), "another graph"},
		{"integer wrt", second(graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{idx})), "not floating point"},
		{"tangent shape", second(graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{y}, []*graphgen.Value{y})), "tangent"},
		{"dependent inputs", second(graphgen.JVP([]*graphgen.Value{x, h}, []*graphgen.Value{x, h}, []*graphgen.Value{y})), "depends on or repeats"},
		{"repeated inputs", second(graphgen.JVP([]*graphgen.Value{x, x}, []*graphgen.Value{x, x}, []*graphgen.Value{y})), "depends on or repeats"},
		{"seed of an unrelated output", second(graphgen.VJP([]*graphgen.Value{y, unrelated}, []*graphgen.Value{nil, x}, []*graphgen.Value{x})), "seed"},
		{"gram rank", second(graphgen.PerSampleGram(f.Reshape(h, 1, 3), nil)), "must have shape [B]"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: want an error containing %q, got %v", c.name, c.want, c.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// The weight gradient of a grouped Conv merges the batch into the channels,
// which DynamicBatch cannot serialise; the input gradient keeps it.
func TestGroupedConvWeightGradNeedsStaticBatch(t *testing.T) {
	f := newFixture("dynamic", 6)
	f.DynamicBatch = true
	x, w := f.in(-1, 1, 2, 4, 5, 5), f.in(-1, 1, 4, 2, 3, 3)
	y := f.Conv(x, w, nil, graphgen.ConvParams{Group: 2})
	if _, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{x}); err != nil {
		t.Errorf("input gradient: %v", err)
	}
	if _, err := graphgen.VJP([]*graphgen.Value{y}, nil, []*graphgen.Value{w}); err == nil || !strings.Contains(err.Error(), "group 2 needs a static batch") {
		t.Errorf("weight gradient: want an error naming the group and DynamicBatch, got %v", err)
	}
}

func TestJVPOfUnrelatedOutputIsZero(t *testing.T) {
	f := newFixture("unrelated", 6)
	x := f.in(-1, 1, 3)
	z := f.in(-1, 1, 2)
	y := f.Exp(z)
	outs, err := graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{f.aux("t", x)}, []*graphgen.Value{y})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.run(t, outs, nil)[0]; !slices.Equal(got, []float64{0, 0}) {
		t.Errorf("tangent of an output independent of x: %v, want zeros", got)
	}
}

// TestSameGraphSameBytes builds a block and all three transforms twice and
// compares the serialised models.
func TestSameGraphSameBytes(t *testing.T) {
	build := func() []byte {
		b := newBlock(graphgen.Float64, blockSmall, 2, 11)
		grads, err := graphgen.VJP([]*graphgen.Value{b.y}, nil, b.params)
		if err != nil {
			t.Fatal(err)
		}
		jvp, err := graphgen.JVP([]*graphgen.Value{b.x}, []*graphgen.Value{b.x}, []*graphgen.Value{b.features})
		if err != nil {
			t.Fatal(err)
		}
		gram, err := graphgen.PerSampleGram(b.y, b.params)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range append(append(grads, jvp...), gram) {
			b.g.Output(fmt.Sprintf("out%d", i), v)
		}
		m, err := b.g.Model()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if a, b := build(), build(); !bytes.Equal(a, b) {
		t.Fatalf("two builds serialise differently (%d and %d bytes)", len(a), len(b))
	}
}

// A float32 LayerNorm's gradient reads the node's own Mean and InvStdDev outputs;
// a second derivative would have to flow through them, which neither sweep
// supports, so both refuse instead of treating them as constants.
func TestLayerNormStatisticsRefuseSecondDerivatives(t *testing.T) {
	f := newFixture("ln2", 3)
	f.dt = graphgen.Float32 // float64 nodes recompute their statistics instead
	x := f.in(-2, 2, 3, 5)
	y := f.LayerNorm(x, f.in(0.5, 1.5, 5), nil, 1e-5)
	if n := len(y.Producer().Outputs); n != 1 {
		t.Fatalf("the forward LayerNorm declares %d outputs, want 1 until a derivative needs its statistics", n)
	}
	grads, err := graphgen.VJP([]*graphgen.Value{f.ReduceSum(f.Mul(y, y), false)}, nil, []*graphgen.Value{x})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(y.Producer().Outputs); n != 3 {
		t.Fatalf("after the VJP the LayerNorm declares %d outputs, want 3 (Y, Mean, InvStdDev)", n)
	}
	second := f.ReduceSum(f.Mul(grads[0], grads[0]), false)
	if _, err := graphgen.VJP([]*graphgen.Value{second}, nil, []*graphgen.Value{x}); err == nil || !strings.Contains(err.Error(), "statistic") {
		t.Errorf("VJP of a gradient through LayerNorm: err %v, want a refusal naming the statistic", err)
	}
	if _, err := graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{f.in(-1, 1, 3, 5)}, []*graphgen.Value{second}); err == nil || !strings.Contains(err.Error(), "statistic") {
		t.Errorf("JVP of a gradient through LayerNorm: err %v, want a refusal naming the statistic", err)
	}
}
