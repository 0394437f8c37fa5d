package proxies

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Measure's scores equal the definitions computed here, independently, from
// the float64 evaluator's gradients and GELU inputs on the same graph:
// within 1e-4 relative (ONNX Runtime runs in float32), NASWOT from the
// codes' 0/1 matrix C as log det(C·Cᵀ + (1−C)·(1−C)ᵀ) by a Cholesky
// factorisation.
func TestScoresMatchDefinitions(t *testing.T) {
	initORT(t)
	c := newTinyCase(t, 8)
	got := measure(t, c.m, c.weights, c.in)
	want := c.referenceScores(t)
	for _, s := range []struct {
		name      string
		got, want float64
	}{
		{"grad_norm", got.GradNorm, want.GradNorm},
		{"snip", got.SNIP, want.SNIP},
		{"synflow", got.Synflow, want.Synflow},
		{"dss", got.DSS, want.DSS},
		{"naswot", got.NASWOT, want.NASWOT},
	} {
		t.Logf("%s = %.8g, relative difference %.2g", s.name, s.got, relErr(s.got, s.want))
		if relErr(s.got, s.want) > 1e-4 {
			t.Errorf("%s = %.10g, want %.10g", s.name, s.got, s.want)
		}
	}
}

// referenceScores computes every proxy's definition from the evaluator's
// outputs. It also checks which tensors count: the 26 rank-2 and rank-4
// weights of the tiny network's 5 blocks, of which 10 attention qkv and
// proj weights and 10 FFN fc1 and fc2 weights for DSS.
func (c *tinyCase) referenceScores(t *testing.T) Scores {
	t.Helper()
	table := c.m.ParamTable()
	nw := len(c.pg.weights)
	out := c.evaluate(t, nil, slices.Concat(c.pg.lossGrads, c.pg.flowGrads, c.pg.geluInputs)...)
	lossGrads, flowGrads, geluInputs := out[:nw], out[nw:2*nw], out[2*nw:]
	var want Scores
	var diversity, saliency int
	for i, k := range c.pg.weights {
		p := table[k]
		if len(p.Shape) < 2 {
			t.Fatalf("%s (shape %v) is scored as a weight", p.Name, p.Shape)
		}
		w, gl, gf := widen(c.weights[k]), lossGrads[i], flowGrads[i]
		abs := make([]float64, len(w))
		var sq, flow float64
		for j := range w {
			abs[j] = math.Abs(w[j])
			sq += gl[j] * gl[j]
			want.SNIP += math.Abs(w[j] * gl[j])
			flow += math.Abs(abs[j] * gf[j])
		}
		want.GradNorm += math.Sqrt(sq)
		want.Synflow += flow
		switch {
		case strings.Contains(p.Name, ".attn.qkv.") || strings.Contains(p.Name, ".attn.proj."):
			want.DSS += nuclearByEigen(p.Shape[0], p.Shape[1], gf) * nuclearByEigen(p.Shape[0], p.Shape[1], abs)
			diversity++
		case strings.Contains(p.Name, ".mlps.0.1.fc"):
			want.DSS += flow
			saliency++
		}
	}
	if nw != 26 || diversity != 10 || saliency != 10 {
		t.Errorf("%d weights, %d diversity and %d saliency tensors; want 26, 10 and 10", nw, diversity, saliency)
	}
	want.NASWOT = choleskyLogDet(t, codeKernel(c.in.N, codeRows(c.in.N, geluInputs)))
	return want
}

// codeRows returns the n samples' 0/1 codes, one row each: the signs of
// every tensor's values (dimension 0 the sample), tensor after tensor.
func codeRows(n int, tensors [][]float64) []float64 {
	var rows []float64
	for s := range n {
		for _, x := range tensors {
			per := len(x) / n
			for _, v := range x[s*per : (s+1)*per] {
				rows = append(rows, b2f(v > 0))
			}
		}
	}
	return rows
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// codeKernel returns C·Cᵀ + (1−C)·(1−C)ᵀ for the n rows of 0/1 codes.
func codeKernel(n int, rows []float64) *mat.Dense {
	c := mat.NewDense(n, len(rows)/n, rows)
	inv := mat.NewDense(n, len(rows)/n, nil)
	inv.Apply(func(_, _ int, v float64) float64 { return 1 - v }, c)
	var k, k2 mat.Dense
	k.Mul(c, c.T())
	k2.Mul(inv, inv.T())
	k.Add(&k, &k2)
	return &k
}

func choleskyLogDet(t *testing.T, k *mat.Dense) float64 {
	t.Helper()
	n, _ := k.Dims()
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(n, k.RawMatrix().Data)) {
		t.Fatal("K_H is not positive definite")
	}
	return ch.LogDet()
}

// nuclearByEigen returns Σ √λ over the eigenvalues λ of AᵀA.
func nuclearByEigen(rows, cols int, a []float64) float64 {
	m := mat.NewDense(rows, cols, a)
	var ata mat.SymDense
	ata.SymOuterK(1, m.T())
	var eig mat.EigenSym
	if !eig.Factorize(&ata, false) {
		return math.NaN()
	}
	var sum float64
	for _, l := range eig.Values(nil) {
		sum += math.Sqrt(math.Max(l, 0))
	}
	return sum
}

// The same inputs give the same scores, and Measure leaves its inputs as
// they were.
func TestMeasureIsDeterministic(t *testing.T) {
	m := newModel(t, tinyTopology, 32)
	weights, in := m.Init(5), randomInput(m, 6, 5)
	w0, images0 := cloneAll(weights), slices.Clone(in.Images)
	a, b := measure(t, m, weights, in), measure(t, m, weights, in)
	a.Seconds, b.Seconds = 0, 0
	if a != b {
		t.Errorf("two runs differ:\n%+v\n%+v", a, b)
	}
	for k := range weights {
		if !slices.Equal(weights[k], w0[k]) {
			t.Fatalf("weight %d changed", k)
		}
	}
	if !slices.Equal(in.Images, images0) {
		t.Fatal("the images changed")
	}
	if math.IsInf(a.NASWOT, 0) || a.GradNorm <= 0 || a.SNIP <= 0 || a.Synflow <= 0 || a.DSS <= 0 {
		t.Errorf("degenerate scores %+v", a)
	}
}

func cloneAll(ws [][]float32) [][]float32 {
	out := make([][]float32, len(ws))
	for k, w := range ws {
		out[k] = slices.Clone(w)
	}
	return out
}

// Bad inputs give errors naming the sizes at fault, never a panic.
func TestMeasureErrors(t *testing.T) {
	initORT(t)
	m := newModel(t, tinyTopology, 32)
	good := func() ([][]float32, Input) { return m.Init(1), randomInput(m, 3, 1) }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name   string
		ctx    context.Context
		change func(w *[][]float32, in *Input)
		want   string
	}{
		{"zero batch", nil, func(_ *[][]float32, in *Input) { in.N = 0 }, "N = 0"},
		{"batch larger than images", nil, func(_ *[][]float32, in *Input) { in.N = 4 },
			"images: got 3072 values, want N×C×R×R = 4×1×32×32 = 4096"},
		{"labels short", nil, func(_ *[][]float32, in *Input) { in.Labels = in.Labels[:2] }, "labels: got 2, want one per image (N = 3)"},
		{"label negative", nil, func(_ *[][]float32, in *Input) { in.Labels[1] = -1 }, "label -1 of image 1 is outside [0, 10)"},
		{"label too large", nil, func(_ *[][]float32, in *Input) { in.Labels[2] = 10 }, "label 10 of image 2 is outside [0, 10)"},
		{"NaN image", nil, func(_ *[][]float32, in *Input) { in.Images[1500] = float32(math.NaN()) }, "value 1500 (image 1) is NaN"},
		{"no weights", nil, func(w *[][]float32, _ *Input) { *w = nil }, "got 0 weight tensors, the model has 79"},
		{"short weight", nil, func(w *[][]float32, _ *Input) { (*w)[4] = (*w)[4][:7] },
			"weight 4 (layers.0.blocks.0.norm1.weight, shape [8]) has 7 values, want 8"},
		{"cancelled", cancelled, func(*[][]float32, *Input) {}, "context canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, in := good()
			c.change(&w, &in)
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := Measure(ctx, m, w, in, oneThread)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
