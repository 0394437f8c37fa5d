package graphgen_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
)

// gramCheck holds the Gram of y's per-sample gradients with respect to
// params and, as the independent reference, the gradients of each y[b]
// alone (one-hot seeds), one VJP per sample.
type gramCheck struct {
	params    []*graphgen.Value
	gram      *graphgen.Value
	perSample [][]*graphgen.Value // [b][param]
}

// newGramCheck appends both to y's graph, with the one-hot seeds as inputs
// fed through feeds.
func newGramCheck(t testing.TB, y *graphgen.Value, params []*graphgen.Value, feeds map[*graphgen.Value][]float64) *gramCheck {
	t.Helper()
	gc := &gramCheck{params: params}
	var err error
	if gc.gram, err = graphgen.PerSampleGram(y, params); err != nil {
		t.Fatal(err)
	}
	batch := y.Dim(0)
	for s := range batch {
		oneHot := y.Graph().Input(fmt.Sprintf("onehot%d", s), y.DType(), batch)
		feeds[oneHot] = make([]float64, batch)
		feeds[oneHot][s] = 1
		grads, err := graphgen.VJP([]*graphgen.Value{y}, []*graphgen.Value{oneHot}, params)
		if err != nil {
			t.Fatal(err)
		}
		gc.perSample = append(gc.perSample, grads)
	}
	return gc
}

// outputs lists the Gram, then every per-sample gradient, sample-major.
func (gc *gramCheck) outputs() []*graphgen.Value {
	out := []*graphgen.Value{gc.gram}
	for _, gs := range gc.perSample {
		out = append(out, gs...)
	}
	return out
}

// reference returns Σ_p ⟨g_b^p, g_b'^p⟩ from the per-sample gradients in
// res (as ordered by outputs), and the largest |entry|.
func (gc *gramCheck) reference(res [][]float64) ([]float64, float64) {
	batch, np := len(gc.perSample), len(gc.params)
	grad := func(s, p int) []float64 { return res[1+s*np+p] }
	want := make([]float64, batch*batch)
	largest := 0.0
	for i := range batch {
		for j := range batch {
			for p := range np {
				d, _ := dot(grad(i, p), grad(j, p))
				want[i*batch+j] += d
			}
			largest = max(largest, math.Abs(want[i*batch+j]))
		}
	}
	return want, largest
}

func compareGram(t *testing.T, got, want []float64, largest, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*largest {
			t.Fatalf("Θ entry %d: %.9g, from per-sample gradients %.9g (largest entry %.3g)", i, got[i], want[i], largest)
		}
	}
}

// TestPerSampleGramFloat64 compares the one-sweep Gram with the Gram of B
// separate gradients, in float64: both are exact up to rounding of sums of
// a few thousand products (~1e-15 relative), far below 1e-12 of the largest
// entry.
func TestPerSampleGramFloat64(t *testing.T) {
	b := newBlock(graphgen.Float64, blockSmall, 4, 40)
	gc := newGramCheck(t, b.y, b.params, b.feeds)
	res, err := eval.Run(gc.outputs(), b.feeds)
	if err != nil {
		t.Fatal(err)
	}
	want, largest := gc.reference(res)
	compareGram(t, res[0], want, largest, 1e-12)
}

// TestPerSampleGramFloat32ORT runs the same comparison in float32 through
// ONNX Runtime. Float32 rounding (6e-8 per op) along chains of a few tens of
// ops, summed over thousands of products, stays within 1e-5 of the largest
// entry (about 2e-7 is seen); a wrong rule moves entries by a percent or more.
func TestPerSampleGramFloat32ORT(t *testing.T) {
	b := newBlock(graphgen.Float32, blockSmall, 4, 41)
	gc := newGramCheck(t, b.y, b.params, b.feeds)
	for i, v := range gc.outputs() {
		b.g.Output(fmt.Sprintf("out%d", i), v)
	}
	res := runORT(t, b.g, b.feeds)
	want, largest := gc.reference(res)
	compareGram(t, res[0], want, largest, 1e-5)
}

// TestPerSampleGramInChunks computes the block's Gram over 5 samples in
// passes of 2, 1 and 2 rows, each pass on a forward graph of its own, and
// compares it with the per-sample gradients of the one-pass block on the
// same images: within the float64 bound of TestPerSampleGramFloat64 through
// the evaluator, and within the float32 bound of
// TestPerSampleGramFloat32ORT through ONNX Runtime, which also runs the
// nodes that order the passes.
func TestPerSampleGramInChunks(t *testing.T) {
	for _, c := range precisions {
		t.Run(c.dt.String(), func(t *testing.T) {
			b := newBlock(c.dt, blockSmall, 5, 43)
			gc := newGramCheck(t, b.y, b.params, b.feeds)
			bounds := []int{0, 2, 3, 5}
			chunked, err := graphgen.PerSampleGramInChunks(b.x, bounds, b.params, func(pass int, rows *graphgen.Value) (*graphgen.Value, error) {
				if want := bounds[pass+1] - bounds[pass]; rows.Dim(0) != want {
					t.Errorf("pass %d gets %d rows, want %d", pass, rows.Dim(0), want)
				}
				return b.g.ReduceSum(b.forward(rows), false, 1), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			outs := append(gc.outputs(), chunked)
			var res [][]float64
			if c.dt == graphgen.Float64 {
				if res, err = eval.Run(outs, b.feeds); err != nil {
					t.Fatal(err)
				}
			} else {
				for i, v := range outs {
					b.g.Output(fmt.Sprintf("out%d", i), v)
				}
				res = runORT(t, b.g, b.feeds)
			}
			want, largest := gc.reference(res[:len(res)-1])
			compareGram(t, res[len(res)-1], want, largest, c.tol)
		})
	}
}

func TestPerSampleGramInChunksRefusals(t *testing.T) {
	b := newBlock(graphgen.Float64, blockSmall, 4, 44)
	own := func(_ int, rows *graphgen.Value) (*graphgen.Value, error) {
		return b.g.ReduceSum(b.forward(rows), false, 1), nil
	}
	shared := func(_ int, rows *graphgen.Value) (*graphgen.Value, error) { // every pass reads the whole batch's block
		return b.g.Slice(b.y, []int{0}, []int{0}, []int{rows.Dim(0)}, []int{1}), nil
	}
	failing := func(int, *graphgen.Value) (*graphgen.Value, error) { return nil, errors.New("no forward") }
	cases := []struct {
		name    string
		bounds  []int
		forward func(int, *graphgen.Value) (*graphgen.Value, error)
		want    string
	}{
		{"bounds short of the batch", []int{0, 2, 3}, own, "must run from 0 to the 4 rows"},
		{"bounds from 1", []int{1, 4}, own, "must run from 0"},
		{"empty pass", []int{0, 2, 2, 4}, own, "must increase"},
		{"shared forward", []int{0, 2, 4}, shared, "reached from passes 0 and 1"},
		{"forward fails", []int{0, 2, 4}, failing, "no forward"},
		{"y of another size", []int{0, 1, 4}, func(_ int, rows *graphgen.Value) (*graphgen.Value, error) {
			return b.g.ReduceSum(b.forward(b.x), false, 1), nil
		}, "B = 1"},
	}
	for _, c := range cases {
		_, err := graphgen.PerSampleGramInChunks(b.x, c.bounds, b.params, c.forward)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error containing %q, got %v", c.name, c.want, err)
		}
	}
}

// TestPerSampleGramSharedSquareWeight uses one square weight as a Gemm
// weight stored out×in and as a MatMul operand stored in×out, so the two
// per-sample gradients must be added in the parameter's own layout. The
// float64 bound is that of TestPerSampleGramFloat64.
func TestPerSampleGramSharedSquareWeight(t *testing.T) {
	f := newFixture("square", 42)
	x := f.in(-1, 1, 3*5, 4)
	w := f.in(-1, 1, 4, 4)
	h := f.Reshape(f.Tanh(f.Gemm(x, w, nil, false, true, 0.5, 1)), 3, 5, 4)
	y := f.ReduceSum(f.MatMul(h, w), false, 1, 2)
	gc := newGramCheck(t, y, []*graphgen.Value{w}, f.feeds)
	res := f.run(t, gc.outputs(), nil)
	want, largest := gc.reference(res)
	compareGram(t, res[0], want, largest, 1e-12)
}

// TestPerSampleGramConvGeometry covers Conv weights whose patches come from
// a strided, dilated, asymmetrically padded, non-square kernel over several
// channels, read from a computed value (tanh of the scaled input) rather
// than an input. The Gram must match the per-sample gradients (float64
// bound of TestPerSampleGramFloat64) and its patches must need no Concat.
// The Gram is blind to a permutation of the patch features that the Conv
// part of the gradient alone would carry, so the weight also scales a
// per-sample input elementwise: that part is in the weight's own layout,
// and the two only add up right if the patches are laid out like the
// weight. No parameter precedes the Conv, so the reverse sweep has no ConvTranspose
// (which has no tangent rule) and the Gram, patches included, can itself
// be differentiated in both modes.
func TestPerSampleGramConvGeometry(t *testing.T) {
	cases := []struct {
		name   string
		kernel [2]int
		p      graphgen.ConvParams
	}{
		{"strided padded dilated", [2]int{3, 2}, graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{1, 2}, Pads: [4]int{1, 0, 2, 1}}},
		{"stride leaves rows unread", [2]int{2, 2}, graphgen.ConvParams{Strides: [2]int{3, 2}, Pads: [4]int{1, 1, 0, 0}}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture("gramconv", uint64(50+i))
			x := f.in(-1, 1, 3, 2, 7, 6)
			s := f.in(0.5, 1.5, 2, 1, 1)
			w := f.in(-1, 1, 4, 2, c.kernel[0], c.kernel[1])
			b := f.in(-1, 1, 4)
			h := f.Conv(f.Tanh(f.Mul(x, s)), w, b, c.p)
			z := f.in(-1, 1, 3, 4, 2, c.kernel[0], c.kernel[1])
			y := f.Add(f.ReduceSum(f.Tanh(h), false, 1, 2, 3), f.ReduceSum(f.Tanh(f.Mul(z, w)), false, 1, 2, 3, 4))
			params := []*graphgen.Value{w, b}
			gc := newGramCheck(t, y, params, f.feeds)
			for _, n := range f.Nodes() {
				if n.Op == "Concat" {
					t.Fatalf("node %s: the Gram's patches should come from one Conv, not a Concat", n.Name)
				}
			}
			res := f.run(t, gc.outputs(), nil)
			want, largest := gc.reference(res)
			compareGram(t, res[0], want, largest, 1e-12)
			checkDerivatives(t, f, gc.gram, false)
		})
	}
}

// TestGramChoosesPerLayer pins the cost model on the block's layers: the
// re-embedding's reduction (few tokens, wide input) takes the token Gram,
// the attention's qkv (many tokens, narrow) the explicit gradients.
func TestGramChoosesPerLayer(t *testing.T) {
	d := blockSmall
	if !graphgen.TokenGramCheaper(4, 4, 9*d.dim, 2*d.dim) {
		t.Error("the reduction layer should take the token Gram")
	}
	if graphgen.TokenGramCheaper(4, 16, d.dim, 3*d.dim) {
		t.Error("the qkv layer should take the explicit per-sample gradients")
	}
}

func TestPerSampleGramRefusals(t *testing.T) {
	cases := []struct {
		name    string
		wShape  []int
		dynamic bool
		build   func(g *graphgen.Graph, x, w *graphgen.Value) *graphgen.Value
		want    []string
	}{
		{"weight through Transpose", []int{3, 3}, false, func(g *graphgen.Graph, x, w *graphgen.Value) *graphgen.Value {
			return g.MatMul(x, g.Transpose(w, 1, 0))
		}, []string{"parameter w", "Transpose"}},
		{"parameter spans the batch", []int{2, 3}, false, func(g *graphgen.Graph, x, w *graphgen.Value) *graphgen.Value {
			return g.Mul(x, w)
		}, []string{"parameter w", "spans dimension 0"}},
		{"grouped Conv weight", []int{3, 1, 1, 1}, false, func(g *graphgen.Graph, x, w *graphgen.Value) *graphgen.Value {
			return g.Reshape(g.Conv(g.Reshape(x, 2, 3, 1, 1), w, nil, graphgen.ConvParams{Group: 3}), 2, 3)
		}, []string{"parameter w", "Conv with group 3"}},
		{"dynamic batch", []int{3, 3}, true, func(g *graphgen.Graph, x, w *graphgen.Value) *graphgen.Value {
			return g.MatMul(x, w)
		}, []string{"DynamicBatch"}},
	}
	for _, c := range cases {
		g := graphgen.New("bad")
		g.DynamicBatch = c.dynamic
		x := g.Input("x", graphgen.Float64, 2, 3)
		w := g.Param("w", graphgen.Float64, c.wShape, make([]float64, numel(c.wShape)))
		y := g.ReduceSum(c.build(g, x, w), false, 1)
		_, err := graphgen.PerSampleGram(y, []*graphgen.Value{w})
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: want an error containing %q, got %v", c.name, want, err)
			}
		}
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
