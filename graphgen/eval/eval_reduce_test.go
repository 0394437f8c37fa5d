package eval

import (
	"math"
	"slices"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestReductionsMatchORT(t *testing.T) {
	x := func(tg *testGraph) *graphgen.Value { return tg.in(-1, 1, 2, 3, 4, 5) }
	checkAgainstORT(t, []opCase{
		{"ReduceSumAxis", 3, func(tg *testGraph) *graphgen.Value { return tg.ReduceSum(x(tg), false, 1) }},
		{"ReduceSumKeep", 40, func(tg *testGraph) *graphgen.Value { return tg.ReduceSum(x(tg), true, 0, -1, 2) }},
		{"ReduceSumAll", 120, func(tg *testGraph) *graphgen.Value { return tg.ReduceSum(x(tg), true, 0, 1, 2, 3) }},
		{"ReduceMean", 20, func(tg *testGraph) *graphgen.Value { return tg.ReduceMean(x(tg), false, 2, 3) }},
		{"ReduceMeanKeep", 5, func(tg *testGraph) *graphgen.Value { return tg.ReduceMean(x(tg), true, -1) }},
		{"ReduceMax", 1, func(tg *testGraph) *graphgen.Value { return tg.ReduceMax(x(tg), false, 1, 3) }},
		{"ReduceMaxKeep", 1, func(tg *testGraph) *graphgen.Value { return tg.ReduceMax(x(tg), true, 0) }},
		{"Softmax", 5, func(tg *testGraph) *graphgen.Value { return tg.Softmax(x(tg), -1) }},
		{"SoftmaxMiddleAxis", 3, func(tg *testGraph) *graphgen.Value { return tg.Softmax(tg.Scale(x(tg), 5), 1) }},
		{"LogSoftmax", 5, func(tg *testGraph) *graphgen.Value { return tg.LogSoftmax(tg.Scale(x(tg), 5), -1) }},
		{"LogSoftmaxFirstAxis", 2, func(tg *testGraph) *graphgen.Value { return tg.LogSoftmax(x(tg), 0) }},
		{"LayerNorm", 16, func(tg *testGraph) *graphgen.Value {
			return tg.LayerNorm(tg.in(-1, 1, 2, 3, 16), tg.param(0.5, 1.5, 16), tg.param(-1, 1, 16), 1e-5)
		}},
		{"LayerNormNoBias", 24, func(tg *testGraph) *graphgen.Value {
			return tg.LayerNorm(tg.in(-2, 3, 5, 24), tg.param(0.5, 1.5, 24), nil, 1e-3)
		}},
	})
}

func TestReductionsByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{2, 3}, []float64{1, 2, 3, 4, 5, 9})
	exactly(t, runOne(t, g.ReduceSum(x, false, 0), nil), []float64{5, 7, 12})
	exactly(t, runOne(t, g.ReduceMean(x, true, 1), nil), []float64{2, 6})
	exactly(t, runOne(t, g.ReduceMax(x, false, 0, 1), nil), []float64{9})
	e := math.Exp
	s, d := e(1)+e(2)+e(3), e(4)+e(5)+e(9)
	exactly(t, runOne(t, g.Softmax(x, 1), nil), []float64{e(1) / s, e(2) / s, e(3) / s, e(4) / d, e(5) / d, e(9) / d})
	exactly(t, runOne(t, g.LogSoftmax(x, 1), nil)[:3], []float64{1 - math.Log(s), 2 - math.Log(s), 3 - math.Log(s)})
	// Row [1 2 3]: mean 2, biased variance 2/3.
	scale := g.Const(graphgen.Float64, []int{3}, []float64{1, 2, 3})
	bias := g.Const(graphgen.Float64, []int{3}, []float64{0, 0, 1})
	r := 1 / math.Sqrt(2.0/3+float64(float32(0.01)))
	exactly(t, runOne(t, g.LayerNorm(x, scale, bias, 0.01), nil)[:3], []float64{-r, 0, 3*r + 1})
}

// TestReduceEmptyAxes checks the ONNX rule graphgen's reductions with no
// axes do not follow: empty axes reduce every axis unless noop_with_empty_axes.
func TestReduceEmptyAxes(t *testing.T) {
	x := &tensor{shape: []int{2, 3}, data: []float64{1, 2, 3, 4, 5, 6}}
	cases := []struct {
		attrs map[string]any
		shape []int
		want  []float64
	}{
		{map[string]any{"axes": []int64{}}, []int{1, 1}, []float64{21}},
		{map[string]any{"keepdims": int64(0)}, nil, []float64{21}},
		{map[string]any{"axes": []int64{}, "noop_with_empty_axes": int64(1)}, []int{2, 3}, x.data},
	}
	for _, c := range cases {
		got, err := ops["ReduceSum"](&graphgen.Node{Op: "ReduceSum", Attrs: c.attrs}, []*tensor{x})
		if err != nil || !slices.Equal(got.shape, c.shape) {
			t.Fatalf("ReduceSum with %v: %v, %v; want shape %v", c.attrs, got, err, c.shape)
		}
		exactly(t, got.data, c.want)
	}
}
