package eval

import (
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestShapeOpsMatchORT(t *testing.T) {
	x := func(tg *testGraph) *graphgen.Value { return tg.in(-1, 1, 2, 3, 4, 5) }
	checkAgainstORT(t, []opCase{
		{"Reshape", 1, func(tg *testGraph) *graphgen.Value { return tg.Reshape(x(tg), 6, -1, 2) }},
		{"Transpose", 1, func(tg *testGraph) *graphgen.Value { return tg.Transpose(x(tg), 0, 2, 3, 1) }},
		{"TransposeReverse", 1, func(tg *testGraph) *graphgen.Value { return tg.Transpose(x(tg), 3, 2, 1, 0) }},
		{"SliceSteps", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Slice(x(tg), []int{1, 3}, []int{1, 0}, []int{3, 100}, []int{1, 2})
		}},
		{"SliceNegativeAxisStep3", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Slice(x(tg), []int{-2, 0}, []int{1, 1}, []int{4, 2}, []int{3, 1})
		}},
		{"Concat", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Concat(1, tg.in(-1, 1, 2, 1, 4), tg.in(-1, 1, 2, 3, 4), tg.in(-1, 1, 2, 2, 4))
		}},
		{"ConcatLastAxis", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Concat(-1, tg.in(-1, 1, 3, 2), tg.in(-1, 1, 3, 5))
		}},
		{"Pad", 1, func(tg *testGraph) *graphgen.Value { return tg.Pad(x(tg), 0, 1, 0, 2, 1, 0, 3, 1) }},
		{"PadSpatial", 1, func(tg *testGraph) *graphgen.Value { return tg.Pad(tg.in(-1, 1, 3, 4), 2, 1, 0, 3) }},
		{"Unsqueeze", 1, func(tg *testGraph) *graphgen.Value { return tg.Unsqueeze(tg.in(-1, 1, 3, 4), 0, -1) }},
		{"Squeeze", 1, func(tg *testGraph) *graphgen.Value { return tg.Squeeze(tg.in(-1, 1, 1, 3, 1, 4), 0, -2) }},
		{"Expand", 1, func(tg *testGraph) *graphgen.Value { return tg.Expand(tg.in(-1, 1, 3, 1), 2, 3, 4) }},
		{"ExpandToken", 1, func(tg *testGraph) *graphgen.Value { return tg.Expand(tg.in(-1, 1, 1, 1, 6), 4, 1, 6) }},
	})
}

func TestShapeOpsByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	exactly(t, runOne(t, g.Transpose(x, 1, 0), nil), []float64{1, 4, 2, 5, 3, 6})
	exactly(t, runOne(t, g.Slice(x, []int{1}, []int{0}, []int{3}, []int{2}), nil), []float64{1, 3, 4, 6})
	exactly(t, runOne(t, g.Pad(x, 1, 0, 0, 1), nil), []float64{0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0})
	exactly(t, runOne(t, g.Concat(0, x, x), nil), []float64{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6})
	exactly(t, runOne(t, g.Expand(g.Reshape(x, 2, 1, 3), 2, 2, 3), nil), []float64{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6})
}

// TestSliceONNXClamping covers what graphgen does not build: negative
// starts and ends, negative steps and out-of-range clamping.
func TestSliceONNXClamping(t *testing.T) {
	x := &tensor{shape: []int{6}, data: []float64{0, 1, 2, 3, 4, 5}}
	cases := []struct {
		start, end, step int
		want             []float64
	}{
		{1, 4, 1, []float64{1, 2, 3}},
		{-2, 100, 1, []float64{4, 5}},
		{-100, -4, 1, []float64{0, 1}},
		{5, 0, -2, []float64{5, 3, 1}},
		{-1, -100, -1, []float64{5, 4, 3, 2, 1, 0}},
		{100, 2, -3, []float64{5}},
		{4, 4, 1, []float64{}},
		{1, 4, -1, []float64{}},
	}
	for _, c := range cases {
		n := &graphgen.Node{Op: "Slice", Attrs: map[string]any{
			"starts": []int64{int64(c.start)}, "ends": []int64{int64(c.end)}, "steps": []int64{int64(c.step)},
		}}
		got, err := slice(n, []*tensor{x})
		if err != nil {
			t.Fatalf("%d:%d:%d: %v", c.start, c.end, c.step, err)
		}
		if len(got.shape) != 1 || got.shape[0] != len(c.want) {
			t.Fatalf("%d:%d:%d: shape %v, want [%d]", c.start, c.end, c.step, got.shape, len(c.want))
		}
		exactly(t, got.data, c.want)
	}
}

// TestSqueezeEmptyAxes checks the ONNX rule graphgen's Squeeze with no axes
// does not follow: empty axes drop every size-1 axis.
func TestSqueezeEmptyAxes(t *testing.T) {
	x := &tensor{shape: []int{1, 3, 1, 2}, data: []float64{1, 2, 3, 4, 5, 6}}
	for _, attrs := range []map[string]any{{}, {"axes": []int64{}}} {
		got, err := squeeze(&graphgen.Node{Op: "Squeeze", Attrs: attrs}, []*tensor{x})
		if err != nil || len(got.shape) != 2 || got.shape[0] != 3 || got.shape[1] != 2 {
			t.Fatalf("squeeze %v with attrs %v: %v, %v; want shape [3 2]", x.shape, attrs, got, err)
		}
	}
}
