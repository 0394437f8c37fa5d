package eval

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
)

// unary applies f to every element.
func unary(f func(float64) float64) opFunc {
	return func(_ *graphgen.Node, in []*tensor) (*tensor, error) {
		if err := arity(in, 1, 0); err != nil {
			return nil, err
		}
		return &tensor{shape: in[0].shape, data: convert(in[0].data, f)}, nil
	}
}

// binary applies f elementwise with numpy broadcasting.
func binary(f func(a, b float64) float64) opFunc {
	return func(_ *graphgen.Node, in []*tensor) (*tensor, error) {
		if err := arity(in, 2, 0); err != nil {
			return nil, err
		}
		shape, err := broadcastShape(in[0].shape, in[1].shape)
		if err != nil {
			return nil, err
		}
		a, err := expand(in[0], shape)
		if err != nil {
			return nil, err
		}
		b, err := expand(in[1], shape)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(a.data))
		for i := range out {
			out[i] = f(a.data[i], b.data[i])
		}
		return &tensor{shape: shape, data: out}, nil
	}
}

// onnxDTypes maps the TensorProto element types graphgen emits to DTypes.
var onnxDTypes = map[int]graphgen.DType{1: graphgen.Float32, 7: graphgen.Int64, 9: graphgen.Bool, 11: graphgen.Float64}

// cast converts to the type in attribute "to"; the rounding to that type's
// values is done for every node by roundTo.
func cast(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	to, err := intAttr(n, "to", 0)
	if err != nil {
		return nil, err
	}
	dt, ok := onnxDTypes[to]
	if !ok {
		return nil, fmt.Errorf("cast to ONNX type %d is not supported (float, double, int64, bool are)", to)
	}
	if dt != n.Outputs[0].DType() {
		return nil, fmt.Errorf("attribute to=%d (%v) differs from the declared output %s", to, dt, n.Outputs[0])
	}
	return in[0], nil
}
