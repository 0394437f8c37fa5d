package eval

import (
	"fmt"
	"slices"
)

// tensor is a dense row-major float64 array. Ops never modify their
// operands, so tensors may share data.
type tensor struct {
	shape []int
	data  []float64
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// rowMajorStrides returns the element strides of a dense array of shape.
func rowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// walk calls f, in row-major order of the indices idx of shape, with
// base + Σ idx[d]·strides[d].
func walk(shape, strides []int, base int, f func(off int)) {
	if numel(shape) == 0 {
		return
	}
	idx := make([]int, len(shape))
	off := base
	for {
		f(off)
		d := len(shape) - 1
		for ; d >= 0; d-- {
			idx[d]++
			off += strides[d]
			if idx[d] < shape[d] {
				break
			}
			off -= strides[d] * idx[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// gather returns the tensor of shape whose element at idx is
// x[base + Σ idx[d]·strides[d]].
func gather(x []float64, shape, strides []int, base int) *tensor {
	out := make([]float64, 0, numel(shape))
	walk(shape, strides, base, func(off int) { out = append(out, x[off]) })
	return &tensor{shape: shape, data: out}
}

// broadcastShape returns the numpy-style broadcast of a and b. It repeats
// graphgen.BroadcastShape on purpose: every shape is recomputed here, so that
// a slip in graphgen's inference shows up as a mismatch.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := dimFromEnd(a, n-1-i), dimFromEnd(b, n-1-i)
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

func dimFromEnd(shape []int, k int) int {
	if k < len(shape) {
		return shape[len(shape)-1-k]
	}
	return 1
}

// expand broadcasts x to shape, which x must broadcast to unchanged.
func expand(x *tensor, shape []int) (*tensor, error) {
	if got, err := broadcastShape(x.shape, shape); err != nil || !slices.Equal(got, shape) {
		return nil, fmt.Errorf("shape %v does not broadcast to %v", x.shape, shape)
	}
	st := make([]int, len(shape))
	xst := rowMajorStrides(x.shape)
	lead := len(shape) - len(x.shape)
	for i, d := range x.shape {
		if d != 1 {
			st[lead+i] = xst[i]
		}
	}
	return gather(x.data, shape, st, 0), nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// axisSet normalises axes into a mask over rank dimensions, rejecting repeats.
func axisSet(axes []int, rank int) ([]bool, error) {
	mask := make([]bool, rank)
	for _, a := range axes {
		a, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if mask[a] {
			return nil, fmt.Errorf("axis %d repeated in %v", a, axes)
		}
		mask[a] = true
	}
	return mask, nil
}
