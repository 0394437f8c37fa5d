package eval

import (
	"fmt"
	"math"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// reduce folds acc over attribute "axes" (empty or absent: every axis,
// unless noop_with_empty_axes) starting from init, keeping the reduced axes
// as 1s when keepdims (default 1); mean divides by the number folded.
func reduce(init float64, acc func(acc, x float64) float64, mean bool) opFunc {
	return func(n *graphgen.Node, in []*tensor) (*tensor, error) {
		if err := arity(in, 1, 0); err != nil {
			return nil, err
		}
		x := in[0]
		axes, err := intsAttr(n, "axes", nil)
		if err != nil {
			return nil, err
		}
		keepDims, err := intAttr(n, "keepdims", 1)
		if err != nil {
			return nil, err
		}
		noop, err := intAttr(n, "noop_with_empty_axes", 0)
		if err != nil {
			return nil, err
		}
		if len(axes) == 0 {
			if noop != 0 {
				return x, nil
			}
			for i := range x.shape {
				axes = append(axes, i)
			}
		}
		drop, err := axisSet(axes, len(x.shape))
		if err != nil {
			return nil, err
		}
		kept := slices.Clone(x.shape)
		var squeezed []int
		for i, d := range drop {
			if d {
				kept[i] = 1
			} else {
				squeezed = append(squeezed, x.shape[i])
			}
		}
		st := rowMajorStrides(kept)
		for i, d := range drop {
			if d {
				st[i] = 0
			}
		}
		out := make([]float64, numel(kept))
		for i := range out {
			out[i] = init
		}
		i := 0
		walk(x.shape, st, 0, func(off int) { out[off] = acc(out[off], x.data[i]); i++ })
		if mean {
			count := float64(len(x.data) / len(out))
			for i := range out {
				out[i] /= count
			}
		}
		if keepDims == 0 {
			return &tensor{shape: squeezed, data: out}, nil
		}
		return &tensor{shape: kept, data: out}, nil
	}
}

// softmax normalises exp(x) along attribute "axis" (default -1), or returns
// its logarithm x − max − log Σ exp(x − max) when log is set.
func softmax(log bool) opFunc {
	return func(n *graphgen.Node, in []*tensor) (*tensor, error) {
		if err := arity(in, 1, 0); err != nil {
			return nil, err
		}
		x := in[0]
		axis, err := intAttr(n, "axis", -1)
		if err != nil {
			return nil, err
		}
		if axis, err = normAxis(axis, len(x.shape)); err != nil {
			return nil, err
		}
		dim, inner := x.shape[axis], numel(x.shape[axis+1:])
		out := make([]float64, len(x.data))
		for o := range numel(x.shape[:axis]) {
			for j := range inner {
				at := func(k int) int { return (o*dim+k)*inner + j }
				hi := math.Inf(-1)
				for k := range dim {
					hi = math.Max(hi, x.data[at(k)])
				}
				sum := 0.0
				for k := range dim {
					sum += math.Exp(x.data[at(k)] - hi)
				}
				for k := range dim {
					if log {
						out[at(k)] = x.data[at(k)] - hi - math.Log(sum)
					} else {
						out[at(k)] = math.Exp(x.data[at(k)]-hi) / sum
					}
				}
			}
		}
		return &tensor{shape: x.shape, data: out}, nil
	}
}

// layerNorm normalises x over the axes from attribute "axis" (default -1)
// on: y = (x − mean)/√(var + epsilon)·Scale + B, with the biased variance
// and Scale, B broadcast to the normalised shape.
// layerNorm returns Y, and the Mean and InvStdDev outputs ([.., 1] for the
// last axis) when the node declares them.
func layerNorm(n *graphgen.Node, in []*tensor) ([]*tensor, error) {
	if err := arity(in, 2, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := intAttr(n, "axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := floatAttr(n, "epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	if axis, err = normAxis(axis, len(x.shape)); err != nil {
		return nil, err
	}
	normShape := x.shape[axis:]
	scale, err := expand(in[1], normShape)
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	shift := &tensor{shape: normShape, data: make([]float64, numel(normShape))}
	if b := optional(in, 2); b != nil {
		if shift, err = expand(b, normShape); err != nil {
			return nil, fmt.Errorf("bias: %w", err)
		}
	}
	d := numel(normShape)
	out := make([]float64, len(x.data))
	means, invs := make([]float64, 0, len(x.data)/d), make([]float64, 0, len(x.data)/d)
	for o := 0; o < len(x.data); o += d {
		row := x.data[o : o+d]
		mean := 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(d)
		variance := 0.0
		for _, v := range row {
			variance += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(variance/float64(d)+eps)
		means, invs = append(means, mean), append(invs, inv)
		for k, v := range row {
			out[o+k] = (v-mean)*inv*scale.data[k] + shift.data[k]
		}
	}
	outs := []*tensor{{shape: x.shape, data: out}}
	if len(n.Outputs) == 3 {
		statShape := append(slices.Clone(x.shape[:axis]), make([]int, len(x.shape)-axis)...)
		for k := axis; k < len(statShape); k++ {
			statShape[k] = 1
		}
		outs = append(outs, &tensor{shape: statShape, data: means}, &tensor{shape: slices.Clone(statShape), data: invs})
	}
	return outs, nil
}
