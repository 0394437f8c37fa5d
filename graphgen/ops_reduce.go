package graphgen

import (
	"slices"
)

// reduce reduces x over axes; no axes means every axis, as in ONNX.
func (g *Graph) reduce(op string, x *Value, keepDims bool, axes []int) *Value {
	if len(axes) == 0 {
		axes = make([]int, x.Rank())
		for i := range axes {
			axes[i] = i
		}
	}
	norm := make([]int, len(axes))
	drop := make([]bool, x.Rank())
	for i, a := range axes {
		a = normAxis(op, a, x.Rank())
		if drop[a] {
			fail(op, "axis %d repeated", a)
		}
		drop[a], norm[i] = true, a
	}
	slices.Sort(norm)
	var out []int
	for i, d := range x.shape {
		switch {
		case !drop[i]:
			out = append(out, d)
		case keepDims:
			out = append(out, 1)
		}
	}
	attrs := map[string]any{"axes": ints64(norm), "keepdims": b2i(keepDims)}
	return g.op1(op, []*Value{x}, attrs, x.dtype, out)
}

// ReduceSum sums x over axes.
func (g *Graph) ReduceSum(x *Value, keepDims bool, axes ...int) *Value {
	return g.reduce("ReduceSum", x, keepDims, axes)
}

// ReduceMean averages x over axes.
func (g *Graph) ReduceMean(x *Value, keepDims bool, axes ...int) *Value {
	return g.reduce("ReduceMean", x, keepDims, axes)
}

// ReduceMax takes the maximum of x over axes.
func (g *Graph) ReduceMax(x *Value, keepDims bool, axes ...int) *Value {
	return g.reduce("ReduceMax", x, keepDims, axes)
}

// Softmax normalises exp(x) along axis.
func (g *Graph) Softmax(x *Value, axis int) *Value {
	needFloat("Softmax", x)
	axis = normAxis("Softmax", axis, x.Rank())
	return g.op1("Softmax", []*Value{x}, map[string]any{"axis": int64(axis)}, x.dtype, slices.Clone(x.shape))
}

// LogSoftmax returns x - log Σ exp(x) along axis.
func (g *Graph) LogSoftmax(x *Value, axis int) *Value {
	needFloat("LogSoftmax", x)
	axis = normAxis("LogSoftmax", axis, x.Rank())
	return g.op1("LogSoftmax", []*Value{x}, map[string]any{"axis": int64(axis)}, x.dtype, slices.Clone(x.shape))
}

// LayerNorm normalises x over its last axis and applies scale and bias
// (both of shape [last dim]; bias may be nil).
func (g *Graph) LayerNorm(x, scale, bias *Value, eps float32) *Value {
	const op = "LayerNormalization"
	needFloat(op, x)
	d := x.Dim(-1)
	inputs := []*Value{x, scale}
	if scale.Rank() != 1 || scale.Dim(0) != d {
		fail(op, "scale %s must have shape [%d] for %s", scale, d, x)
	}
	sameDType(op, x, scale)
	if bias != nil {
		if bias.Rank() != 1 || bias.Dim(0) != d {
			fail(op, "bias %s must have shape [%d] for %s", bias, d, x)
		}
		sameDType(op, x, bias)
		inputs = append(inputs, bias)
	}
	attrs := map[string]any{"axis": int64(-1), "epsilon": eps}
	return g.op1(op, inputs, attrs, x.dtype, slices.Clone(x.shape))
}
