package graphgen

import (
	"slices"
	"strings"
	"testing"
)

func TestDetectionOpShapes(t *testing.T) {
	g := New("t")
	x := g.Input("x", Float32, 2, 3, 8, 6)
	flat := g.Input("flat", Float32, 2, 10)
	idx := g.Input("idx", Int64, 2, 4)
	vals, inds := g.TopK(flat, 4, -1, true)
	cases := []struct {
		v     *Value
		want  []int
		dtype DType
	}{
		{g.MaxPool(x, [2]int{3, 3}, ConvParams{Pads: [4]int{1, 1, 1, 1}}), []int{2, 3, 8, 6}, Float32},
		{g.MaxPool(x, [2]int{2, 3}, ConvParams{Strides: [2]int{2, 3}}), []int{2, 3, 4, 2}, Float32},
		{g.Sigmoid(flat), []int{2, 10}, Float32},
		{g.Min(flat, g.Input("row", Float32, 10)), []int{2, 10}, Float32},
		{g.Equal(flat, g.Scalar(Float32, 0)), []int{2, 10}, Bool},
		{g.GreaterOrEqual(g.Input("col", Float32, 2, 1), flat), []int{2, 10}, Bool},
		{g.Where(g.Less(flat, g.Scalar(Float32, 0)), g.Scalar(Float32, 1), flat), []int{2, 10}, Float32},
		{g.Not(g.And(g.Less(flat, flat), g.Input("m", Bool, 1, 10))), []int{2, 10}, Bool},
		{vals, []int{2, 4}, Float32},
		{inds, []int{2, 4}, Int64},
		{g.GatherElements(flat, idx, 1), []int{2, 4}, Float32},
		{g.GatherND(x, g.Input("t", Int64, 5, 2)), []int{5, 8, 6}, Float32},
		{g.ScatterND(flat, g.Input("u", Int64, 3, 2), g.Input("w", Float32, 3)), []int{2, 10}, Float32},
	}
	for i, c := range cases {
		if !slices.Equal(c.v.Shape(), c.want) || c.v.DType() != c.dtype {
			t.Errorf("case %d: %s, want %v %v", i, c.v, c.want, c.dtype)
		}
	}
}

func TestDetectionOpChecks(t *testing.T) {
	g := New("t")
	x := g.Input("x", Float32, 1, 2, 5, 5)
	flat := g.Input("flat", Float32, 2, 10)
	b := g.Input("b", Bool, 2, 10)
	boxes := g.Input("boxes", Float32, 2, 7, 4)
	cases := []struct {
		build func()
		want  string
	}{
		{func() { g.MaxPool(x, [2]int{3, 3}, ConvParams{Pads: [4]int{3, 0, 0, 0}}) }, "each pad below its kernel"},
		{func() { g.MaxPool(x, [2]int{3, 3}, ConvParams{Group: 2}) }, "group 2"},
		{func() { g.MaxPool(flat, [2]int{1, 1}, ConvParams{}) }, "rank 4"},
		{func() { g.Less(b, b) }, "Bool; compare numbers"},
		{func() { g.And(b, flat) }, "must be Bool"},
		{func() { g.Where(flat, flat, flat) }, "must be Bool"},
		{func() { g.Where(b, flat, g.Input("i", Int64, 10)) }, "dtypes differ"},
		{func() { g.TopK(flat, 11, 1, true) }, "k = 11 out of 1..10"},
		{func() { g.TopK(b, 1, 1, true) }, "TopK orders numbers"},
		{func() { g.GatherElements(flat, g.Input("i3", Int64, 2, 3, 1), 1) }, "differ in rank"},
		{func() { g.GatherElements(flat, g.Input("i4", Int64, 3, 4), 1) }, "exceed data"},
		{func() { g.GatherElements(flat, g.Input("f", Float32, 2, 4), 1) }, "must be Int64"},
		{func() { g.GatherND(flat, g.Input("i5", Int64, 4, 3)) }, "static dimension of 1..2"},
		{func() { g.ScatterND(flat, g.Input("i6", Int64, 4, 1), g.Input("u6", Float32, 4)) }, "want shape [4 10]"},
		{func() { g.NonMaxSuppression(boxes, g.Input("s1", Float32, 2, 3, 6), 5, 0.5, 0) }, "[N, B, 4] and [N, C, B]"},
		{func() { g.NonMaxSuppression(boxes, g.Input("s2", Float32, 2, 3, 7), 0, 0.5, 0) }, "want ≥ 1 and in [0, 1]"},
		{func() { g.NonMaxSuppression(boxes, g.Input("s3", Float32, 2, 3, 7), 5, 1.5, 0) }, "want ≥ 1 and in [0, 1]"},
		{func() {
			g.NonMaxSuppression(g.Input("b64", Float64, 2, 7, 4), g.Input("s4", Float64, 2, 3, 7), 5, 0.5, 0)
		}, "must be Float32"},
	}
	for _, c := range cases {
		if err := Catch(c.build); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error containing %q, got %v", c.want, err)
		}
	}
}

// TestDynamicDimension follows NonMaxSuppression's data-dependent count
// through the ops that take it, and checks that the others refuse it.
func TestDynamicDimension(t *testing.T) {
	g := New("t")
	boxes := g.Input("boxes", Float32, 2, 7, 4)
	scores := g.Input("scores", Float32, 2, 3, 7)
	var sel *Value
	g.Scope("decode", func() { sel = g.NonMaxSuppression(boxes, scores, 5, 0.5, 0) })
	if sel.DynamicAxis() != 0 || sel.Size() != -1 || sel.String() != "decode/NonMaxSuppression_0[? 3] i64" {
		t.Fatalf("selected indices: %s, dynamic axis %d, size %d", sel, sel.DynamicAxis(), sel.Size())
	}
	pairs := g.Slice(sel, []int{1}, []int{0}, []int{3}, []int{2})
	if pairs.String() != "Slice_0[? 2] i64" {
		t.Errorf("slice: %s", pairs)
	}
	best := g.ReduceMax(scores, false, 1)
	picked := g.GatherND(best, pairs)
	kept := g.ScatterND(best, pairs, picked)
	if picked.DynamicAxis() != 0 || kept.DynamicAxis() != -1 || !slices.Equal(kept.Shape(), []int{2, 7}) {
		t.Errorf("GatherND %s, ScatterND %s", picked, kept)
	}
	other := g.NonMaxSuppression(boxes, scores, 2, 0.5, 0)
	otherPairs := g.Slice(other, []int{1}, []int{0}, []int{3}, []int{2})
	for _, c := range []struct {
		build func()
		want  string
	}{
		{func() { g.Add(picked, picked) }, "Add: operand GatherND_0[?] f32 has a data-dependent dimension"},
		{func() { g.Cast(sel, Float32) }, "data-dependent dimension, which only GatherND, Identity, ScatterND, Slice accept"},
		{func() { g.Slice(sel, []int{0}, []int{0}, []int{1}, []int{1}) }, "axis 0 of decode/NonMaxSuppression_0[? 3] i64 is data-dependent"},
		{func() { g.GatherND(picked, pairs) }, "statically shaped"},
		{func() { g.ScatterND(best, otherPairs, picked) }, "do not match"},
	} {
		if err := Catch(c.build); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error containing %q, got %v", c.want, err)
		}
	}

	// Serialised, the count is a dim_param named after the op.
	g.Output("selected", sel)
	g.Output("pairs", pairs)
	g.Output("kept", kept)
	g.DynamicBatch = true
	m, err := g.ModelProto()
	if err != nil {
		t.Fatal(err)
	}
	var dims []string
	for _, o := range m.GetGraph().GetOutput() {
		var ds []string
		for _, d := range o.GetType().GetTensorType().GetShape().GetDim() {
			if p := d.GetDimParam(); p != "" {
				ds = append(ds, p)
			} else {
				ds = append(ds, strings.Repeat("#", int(d.GetDimValue())))
			}
		}
		dims = append(dims, o.GetName()+"="+strings.Join(ds, ","))
	}
	want := []string{"selected=decode_NonMaxSuppression_0,###", "pairs=decode_NonMaxSuppression_0,##", "kept=N,#######"}
	if !slices.Equal(dims, want) {
		t.Errorf("serialised outputs %v, want %v", dims, want)
	}
}
