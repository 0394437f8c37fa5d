package graphgen

import (
	"slices"
)

// Reshape returns x with a new shape; at most one entry may be -1 (inferred).
// It adds no node for x's own shape and reshapes a reshape's operand directly.
func (g *Graph) Reshape(x *Value, shape ...int) *Value {
	const op = "Reshape"
	out := slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d >= 1:
			known *= d
		default:
			fail(op, "bad target shape %v for %s", shape, x)
		}
	}
	if infer >= 0 {
		if x.Size()%known != 0 {
			fail(op, "cannot infer -1 in %v from %s", shape, x)
		}
		out[infer] = x.Size() / known
	}
	if numel(out) != x.Size() {
		fail(op, "target shape %v holds %d elements, %s holds %d", shape, numel(out), x, x.Size())
	}
	if x.node != nil && x.node.Op == op { // a reshape of a reshape is one reshape
		x = x.node.Inputs[0]
	}
	if slices.Equal(out, x.shape) {
		return x
	}
	return g.op1(op, []*Value{x}, map[string]any{"shape": ints64(out)}, x.dtype, out)
}

// Transpose permutes the axes of x: output axis i is input axis perm[i].
// It adds no node for the identity and permutes a transpose's operand
// directly, with the two permutations composed.
func (g *Graph) Transpose(x *Value, perm ...int) *Value {
	const op = "Transpose"
	if len(perm) != x.Rank() {
		fail(op, "perm %v has %d entries, %s has rank %d", perm, len(perm), x, x.Rank())
	}
	seen := make([]bool, len(perm))
	out := make([]int, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			fail(op, "perm %v is not a permutation", perm)
		}
		seen[p] = true
		out[i] = x.shape[p]
	}
	if x.node != nil && x.node.Op == op { // a transpose of a transpose is one transpose
		inner := x.node.attrInts("perm")
		composed := make([]int, len(perm))
		for i, p := range perm {
			composed[i] = inner[p]
		}
		x, perm = x.node.Inputs[0], composed
	}
	if isIdentityPerm(perm) {
		return x
	}
	return g.op1(op, []*Value{x}, map[string]any{"perm": ints64(perm)}, x.dtype, out)
}

func isIdentityPerm(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

// Slice takes x[start:end:step] along each listed axis (steps ≥ 1; ends are
// clamped to the extent). x may have a Dynamic dimension on another axis.
func (g *Graph) Slice(x *Value, axes, starts, ends, steps []int) *Value {
	const op = "Slice"
	if len(starts) != len(axes) || len(ends) != len(axes) || len(steps) != len(axes) {
		fail(op, "axes, starts, ends and steps must have equal lengths")
	}
	out := slices.Clone(x.shape)
	normAxes := make([]int, len(axes))
	clampedEnds := make([]int, len(axes))
	for i, a := range axes {
		a = normAxis(op, a, x.Rank())
		if a == x.DynamicAxis() {
			fail(op, "axis %d of %s is data-dependent and cannot be sliced", a, x)
		}
		normAxes[i] = a
		s, e, st := starts[i], min(ends[i], x.shape[a]), steps[i]
		if st < 1 || s < 0 || s >= e {
			fail(op, "range %d:%d:%d on axis %d of %s is empty or unsupported", starts[i], ends[i], st, a, x)
		}
		clampedEnds[i] = e
		out[a] = (e - s + st - 1) / st
	}
	attrs := map[string]any{"axes": ints64(normAxes), "starts": ints64(starts), "ends": ints64(clampedEnds), "steps": ints64(steps)}
	y := g.op1(op, []*Value{x}, attrs, x.dtype, out)
	y.dyn = x.dyn
	return y
}

// Concat joins values along axis.
func (g *Graph) Concat(axis int, xs ...*Value) *Value {
	const op = "Concat"
	if len(xs) == 0 {
		fail(op, "no operands")
	}
	dt := sameDType(op, xs...)
	axis = normAxis(op, axis, xs[0].Rank())
	out := slices.Clone(xs[0].shape)
	out[axis] = 0
	for _, x := range xs {
		if x.Rank() != len(out) {
			fail(op, "rank of %s differs from %s", x, xs[0])
		}
		for i := range out {
			if i != axis && x.shape[i] != out[i] {
				fail(op, "shape of %s differs from %s off axis %d", x, xs[0], axis)
			}
		}
		out[axis] += x.shape[axis]
	}
	return g.op1(op, xs, map[string]any{"axis": int64(axis)}, dt, out)
}

// Pad zero-pads x; pads lists the begins of every axis, then the ends (ONNX order).
func (g *Graph) Pad(x *Value, pads ...int) *Value {
	const op = "Pad"
	if len(pads) != 2*x.Rank() {
		fail(op, "pads %v need %d entries for %s", pads, 2*x.Rank(), x)
	}
	out := slices.Clone(x.shape)
	for i := range out {
		if pads[i] < 0 || pads[i+x.Rank()] < 0 {
			fail(op, "negative pads %v", pads)
		}
		out[i] += pads[i] + pads[i+x.Rank()]
	}
	return g.op1(op, []*Value{x}, map[string]any{"pads": ints64(pads)}, x.dtype, out)
}

// Unsqueeze inserts size-1 axes at the given output positions.
func (g *Graph) Unsqueeze(x *Value, axes ...int) *Value {
	const op = "Unsqueeze"
	rank := x.Rank() + len(axes)
	out := make([]int, rank)
	mark := make([]bool, rank)
	norm := make([]int, len(axes))
	for i, a := range axes {
		a = normAxis(op, a, rank)
		if mark[a] {
			fail(op, "axis %d repeated", a)
		}
		mark[a], norm[i] = true, a
	}
	j := 0
	for i := range out {
		if mark[i] {
			out[i] = 1
		} else {
			out[i] = x.shape[j]
			j++
		}
	}
	return g.op1(op, []*Value{x}, map[string]any{"axes": ints64(norm)}, x.dtype, out)
}

// Squeeze removes the given size-1 axes; no axes means every size-1 axis.
func (g *Graph) Squeeze(x *Value, axes ...int) *Value {
	const op = "Squeeze"
	if len(axes) == 0 {
		for i, d := range x.shape {
			if d == 1 {
				axes = append(axes, i)
			}
		}
	}
	drop := make([]bool, x.Rank())
	norm := make([]int, len(axes))
	for i, a := range axes {
		a = normAxis(op, a, x.Rank())
		if x.shape[a] != 1 {
			fail(op, "axis %d of %s is not 1", a, x)
		}
		drop[a], norm[i] = true, a
	}
	var out []int
	for i, d := range x.shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return g.op1(op, []*Value{x}, map[string]any{"axes": ints64(norm)}, x.dtype, out)
}

// Expand broadcasts x to shape.
func (g *Graph) Expand(x *Value, shape ...int) *Value {
	const op = "Expand"
	out := BroadcastShape(op, x.shape, shape)
	if !slices.Equal(out, shape) {
		fail(op, "%s does not expand to %v", x, shape)
	}
	return g.op1(op, []*Value{x}, map[string]any{"shape": ints64(shape)}, x.dtype, out)
}
