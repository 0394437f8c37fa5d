// Package eval is a float64 reference interpreter of graphgen graphs.
//
// It walks the graph IR (nodes, attributes, constants) directly and computes
// every value in float64 whatever its declared dtype, with ONNX opset-17
// semantics for each op as graphgen records it. Tests of the autodiff use it
// where ONNX Runtime's CPU provider has no float64 kernel (Conv,
// ConvTranspose, Erf).
//
// # Semantics
//
// Float casts do not round: a Float32 value holds the float64 result. Values
// declared Int64 are truncated toward zero after every op (integer Div and
// ReduceMean, Cast to Int64) and Bool values become 0 or 1. Every op checks
// the shape it computed from its operands and attributes against the shape
// graphgen declared for its output, so a shape-inference slip in graphgen
// shows up as an error here.
//
// # Adding an op
//
// Each op is one function of type opFunc, registered under its ONNX name in
// the table in ops.go; the eval_*.go files group them by family.
package eval
