package eval

import (
	"fmt"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// reshape takes the target from attribute "shape": 0 copies the input
// dimension (allowzero 0), one -1 is inferred.
func reshape(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	shape, err := requiredInts(n, "shape")
	if err != nil {
		return nil, err
	}
	allowZero, err := intAttr(n, "allowzero", 0)
	if err != nil {
		return nil, err
	}
	if allowZero != 0 {
		return nil, fmt.Errorf("allowzero %d is unsupported (0 only)", allowZero)
	}
	shape = slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == 0 && i < len(x.shape):
			shape[i] = x.shape[i]
		case d == -1 && infer < 0:
			infer = i
			continue
		case d < 1:
			return nil, fmt.Errorf("bad target shape %v for input %v", shape, x.shape)
		}
		known *= shape[i]
	}
	if infer >= 0 && known > 0 && len(x.data)%known == 0 {
		shape[infer] = len(x.data) / known
	}
	if numel(shape) != len(x.data) {
		return nil, fmt.Errorf("target shape %v does not hold the %d elements of input %v", shape, len(x.data), x.shape)
	}
	return &tensor{shape: shape, data: x.data}, nil
}

// transpose makes output axis i input axis perm[i] (default: reversed axes).
func transpose(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.shape)
	rev := make([]int, rank)
	for i := range rev {
		rev[i] = rank - 1 - i
	}
	perm, err := intsAttr(n, "perm", rev)
	if err != nil {
		return nil, err
	}
	if len(perm) != rank {
		return nil, fmt.Errorf("perm %v has %d entries for rank %d", perm, len(perm), rank)
	}
	seen := make([]bool, rank)
	xst := rowMajorStrides(x.shape)
	shape, st := make([]int, rank), make([]int, rank)
	for i, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, rank-1)
		}
		seen[p] = true
		shape[i], st[i] = x.shape[p], xst[p]
	}
	return gather(x.data, shape, st, 0), nil
}

// slice takes x[start:end:step] along each listed axis with ONNX clamping:
// negative starts and ends count from the end, then are clamped to [0, dim]
// (step > 0) or [0, dim−1] and [−1, dim−1] (step < 0).
func slice(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	starts, err := requiredInts(n, "starts")
	if err != nil {
		return nil, err
	}
	ends, err := requiredInts(n, "ends")
	if err != nil {
		return nil, err
	}
	allAxes, ones := make([]int, len(starts)), make([]int, len(starts))
	for i := range allAxes {
		allAxes[i], ones[i] = i, 1
	}
	axes, err := intsAttr(n, "axes", allAxes)
	if err != nil {
		return nil, err
	}
	steps, err := intsAttr(n, "steps", ones)
	if err != nil {
		return nil, err
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v, steps %v differ in length", starts, ends, axes, steps)
	}
	if _, err := axisSet(axes, len(x.shape)); err != nil {
		return nil, err
	}
	shape := slices.Clone(x.shape)
	st := rowMajorStrides(x.shape)
	base := 0
	for i, a := range axes {
		a, _ = normAxis(a, len(x.shape))
		step := steps[i]
		if step == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", a)
		}
		start, size := sliceRange(starts[i], ends[i], step, x.shape[a])
		base += start * st[a]
		st[a] *= step
		shape[a] = size
	}
	return gather(x.data, shape, st, base), nil
}

// sliceRange clamps start and end on an axis of extent dim as ONNX does and
// returns the first index taken and the number of elements.
func sliceRange(start, end, step, dim int) (int, int) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start, end = min(max(start, 0), dim), min(max(end, 0), dim)
		return start, max(0, (end-start+step-1)/step)
	}
	start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
	return start, max(0, (start-end-step-1)/-step)
}

// concat joins its operands along attribute "axis".
func concat(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if len(in) == 0 || slices.Contains(in, nil) {
		return nil, fmt.Errorf("needs one or more operands, none omitted")
	}
	if err := present(n, "axis"); err != nil {
		return nil, err
	}
	axis, err := intAttr(n, "axis", 0)
	if err != nil {
		return nil, err
	}
	if axis, err = normAxis(axis, len(in[0].shape)); err != nil {
		return nil, err
	}
	shape := slices.Clone(in[0].shape)
	shape[axis] = 0
	for _, x := range in {
		if len(x.shape) != len(shape) {
			return nil, fmt.Errorf("operand shapes %v and %v differ in rank", in[0].shape, x.shape)
		}
		for i := range shape {
			if i != axis && x.shape[i] != shape[i] {
				return nil, fmt.Errorf("operand shapes %v and %v differ off axis %d", in[0].shape, x.shape, axis)
			}
		}
		shape[axis] += x.shape[axis]
	}
	outer := numel(shape[:axis])
	out := make([]float64, 0, numel(shape))
	for o := range outer {
		for _, x := range in {
			chunk := len(x.data) / outer
			out = append(out, x.data[o*chunk:(o+1)*chunk]...)
		}
	}
	return &tensor{shape: shape, data: out}, nil
}

// pad zero-pads by attribute "pads": the begins of every axis, then the ends.
func pad(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.shape)
	pads, err := requiredInts(n, "pads")
	if err != nil {
		return nil, err
	}
	mode, err := stringAttr(n, "mode", "constant")
	if err != nil {
		return nil, err
	}
	if mode != "constant" || len(pads) != 2*rank || slices.ContainsFunc(pads, func(p int) bool { return p < 0 }) {
		return nil, fmt.Errorf("mode %q with pads %v is unsupported for rank %d (constant mode, %d pads ≥ 0)", mode, pads, rank, 2*rank)
	}
	shape := slices.Clone(x.shape)
	for i := range shape {
		shape[i] += pads[i] + pads[rank+i]
	}
	st := rowMajorStrides(shape)
	base := 0
	for i := range rank {
		base += pads[i] * st[i]
	}
	out := make([]float64, numel(shape))
	i := 0
	walk(x.shape, st, base, func(off int) { out[off] = x.data[i]; i++ })
	return &tensor{shape: shape, data: out}, nil
}

// unsqueeze inserts size-1 axes at the positions "axes" of the output.
func unsqueeze(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	axes, err := requiredInts(n, "axes")
	if err != nil {
		return nil, err
	}
	mark, err := axisSet(axes, len(x.shape)+len(axes))
	if err != nil {
		return nil, err
	}
	shape := make([]int, 0, len(mark))
	rest := x.shape
	for _, m := range mark {
		if m {
			shape = append(shape, 1)
		} else {
			shape, rest = append(shape, rest[0]), rest[1:]
		}
	}
	return &tensor{shape: shape, data: x.data}, nil
}

// squeeze removes the size-1 axes "axes" (empty or absent: every size-1
// axis, as ONNX Runtime does).
func squeeze(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	axes, err := intsAttr(n, "axes", nil)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		for i, d := range x.shape {
			if d == 1 {
				axes = append(axes, i)
			}
		}
	}
	drop, err := axisSet(axes, len(x.shape))
	if err != nil {
		return nil, err
	}
	shape := []int{}
	for i, d := range x.shape {
		switch {
		case !drop[i]:
			shape = append(shape, d)
		case d != 1:
			return nil, fmt.Errorf("axis %d of %v is not 1", i, x.shape)
		}
	}
	return &tensor{shape: shape, data: x.data}, nil
}

// expandOp broadcasts the input with attribute "shape" (both ways, as numpy).
func expandOp(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	target, err := requiredInts(n, "shape")
	if err != nil {
		return nil, err
	}
	shape, err := broadcastShape(in[0].shape, target)
	if err != nil {
		return nil, err
	}
	return expand(in[0], shape)
}
