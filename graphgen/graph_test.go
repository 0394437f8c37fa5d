package graphgen

import (
	"fmt"
	"strings"
	"testing"
)

func TestBuildErrorsNameOpAndShapes(t *testing.T) {
	g := New("t")
	a := g.Input("a", Float32, 2, 3)
	b := g.Input("b", Float32, 4, 5)
	err := Catch(func() { g.MatMul(a, b) })
	if err == nil || !strings.Contains(err.Error(), "MatMul") || !strings.Contains(err.Error(), "[2 3]") || !strings.Contains(err.Error(), "[4 5]") {
		t.Fatalf("want an error naming MatMul and both shapes, got %v", err)
	}
	err = Catch(func() { g.Add(a, b) })
	if err == nil || !strings.Contains(err.Error(), "do not broadcast") {
		t.Fatalf("want a broadcast error, got %v", err)
	}
}

func TestConvGroupChecks(t *testing.T) {
	g := New("t")
	g.ParamsAsInputs = true
	x := g.Input("x", Float32, 2, 6, 8, 8)
	cases := []struct {
		w     []int
		group int
		want  string
	}{
		{[]int{4, 3, 3, 3}, 4, "group 4 must divide the 6 input"},
		{[]int{3, 3, 3, 3}, 2, "group 2 must divide the 6 input and 3 output"},
		{[]int{4, 2, 3, 3}, 2, "input channels 6 differ from group 2 × weight's 2"},
		{[]int{4, 6, 3, 3}, -1, "group -1"},
	}
	for i, c := range cases {
		w := g.Param(fmt.Sprintf("w%d", i), Float32, c.w, nil)
		err := Catch(func() { g.Conv(x, w, nil, ConvParams{Group: c.group}) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("weight %v, group %d: want an error containing %q, got %v", c.w, c.group, c.want, err)
		}
	}
	err := Catch(func() {
		g.ConvTranspose(x, g.Param("tw", Float32, []int{6, 1, 3, 3}, nil), ConvParams{Group: 4}, [2]int{10, 10})
	})
	if err == nil || !strings.Contains(err.Error(), "ConvTranspose") || !strings.Contains(err.Error(), "group 4") {
		t.Errorf("ConvTranspose with group 4 on 6 channels: got %v", err)
	}
}

func TestShapeInference(t *testing.T) {
	g := New("t")
	g.ParamsAsInputs = true
	x := g.Input("x", Float32, 2, 3, 8, 8)
	w := g.Param("w", Float32, []int{5, 3, 3, 3}, nil)
	cases := []struct {
		v    *Value
		want []int
	}{
		{g.Conv(x, w, nil, ConvParams{Strides: [2]int{2, 2}, Pads: [4]int{1, 1, 1, 1}}), []int{2, 5, 4, 4}},
		{g.Conv(x, w, nil, ConvParams{Dilations: [2]int{2, 2}}), []int{2, 5, 4, 4}},
		{g.Conv(x, g.Param("dw", Float32, []int{12, 1, 2, 2}, nil), nil, ConvParams{Strides: [2]int{2, 2}, Group: 3}), []int{2, 12, 4, 4}},
		{g.ConvTranspose(g.Input("t", Float32, 2, 4, 3, 3), g.Param("tw", Float32, []int{4, 3, 2, 2}, nil), ConvParams{Group: 2}, [2]int{4, 4}), []int{2, 6, 4, 4}},
		{g.Transpose(x, 0, 2, 3, 1), []int{2, 8, 8, 3}},
		{g.Reshape(x, 2, -1), []int{2, 192}},
		{g.Slice(x, []int{2, 3}, []int{1, 0}, []int{8, 100}, []int{2, 3}), []int{2, 3, 4, 3}},
		{g.Pad(x, 0, 0, 1, 2, 0, 0, 3, 4), []int{2, 3, 12, 14}},
		{g.ReduceMean(x, false, 2, 3), []int{2, 3}},
		{g.ReduceSum(x, true, -1), []int{2, 3, 8, 1}},
		{g.MatMul(g.Input("p", Float32, 4, 1, 2, 3), g.Input("q", Float32, 5, 3, 7)), []int{4, 5, 2, 7}},
		{g.Unsqueeze(g.Input("u", Float32, 2, 3), 0, 3), []int{1, 2, 3, 1}},
		{g.Concat(1, x, x), []int{2, 6, 8, 8}},
	}
	for i, c := range cases {
		got := c.v.Shape()
		if len(got) != len(c.want) {
			t.Errorf("case %d: shape %v, want %v", i, got, c.want)
			continue
		}
		for j := range got {
			if got[j] != c.want[j] {
				t.Errorf("case %d: shape %v, want %v", i, got, c.want)
				break
			}
		}
	}
}

func TestDeterministicNamesAndDump(t *testing.T) {
	build := func() string {
		g := New("t")
		x := g.Input("x", Float32, 2, 4)
		var y *Value
		g.Scope("block.0", func() { y = g.Tanh(g.Add(x, x)) })
		g.Output("y", y)
		return g.Dump()
	}
	a, b := build(), build()
	if a != b {
		t.Fatalf("dumps differ:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "Add(x[2 4] f32, x[2 4] f32) -> block.0/Add_0[2 4] f32") {
		t.Fatalf("dump lacks the scoped Add line:\n%s", a)
	}
}

// ONNX reduces every axis (and squeezes every size-1 axis) when none are given.
func TestEmptyAxesMeanAll(t *testing.T) {
	g := New("t")
	x := g.Input("x", Float32, 2, 1, 3)
	if s := g.ReduceSum(x, false).Shape(); len(s) != 0 {
		t.Fatalf("ReduceSum with no axes: shape %v, want []", s)
	}
	if s := g.ReduceMean(x, true).Shape(); len(s) != 3 || s[0]*s[1]*s[2] != 1 {
		t.Fatalf("ReduceMean keepdims with no axes: shape %v, want [1 1 1]", s)
	}
	if s := g.Squeeze(x).Shape(); len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Fatalf("Squeeze with no axes: shape %v, want [2 3]", s)
	}
}
