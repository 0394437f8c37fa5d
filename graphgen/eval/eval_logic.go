package eval

import (
	"github.com/asvit/asvit/graphgen"
)

// The comparisons and logical ops are binary and unary functions (ops.go):
// Bool values are 0 or 1 (any non-zero operand counts as true).

// where picks x where cond ≠ 0 and y elsewhere, all three broadcast.
func where(_ *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 3, 0); err != nil {
		return nil, err
	}
	shape, err := broadcastShape(in[0].shape, in[1].shape)
	if err != nil {
		return nil, err
	}
	if shape, err = broadcastShape(shape, in[2].shape); err != nil {
		return nil, err
	}
	var ts [3]*tensor
	for i := range ts {
		if ts[i], err = expand(in[i], shape); err != nil {
			return nil, err
		}
	}
	out := make([]float64, numel(shape))
	for i := range out {
		out[i] = ts[2].data[i]
		if ts[0].data[i] != 0 {
			out[i] = ts[1].data[i]
		}
	}
	return &tensor{shape: shape, data: out}, nil
}
