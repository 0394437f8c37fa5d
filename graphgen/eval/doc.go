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
// ReduceMean, Cast to Int64) and Bool values become 0 or 1 (comparisons
// give 1 for true; logical ops and Where read any non-zero as true). Every
// op checks the shape it computed from its operands and attributes against
// the shape graphgen declared for its output, a graphgen.Dynamic dimension
// taking whatever extent the data gives, so a shape-inference slip in
// graphgen shows up as an error here.
//
// Ops whose result depends on an order follow ONNX Runtime's CPU kernels
// where ONNX leaves room: TopK puts equal values in index order, lower
// first (as ONNX specifies); NonMaxSuppression keeps boxes scoring strictly
// above its score threshold and suppresses at an IoU strictly above its
// IoU threshold, boxes without positive area or intersection never
// suppressing, as ONNX Runtime does; equal scores go in index order, which
// ONNX Runtime's heap leaves open. Its IoU is computed in float64, so
// decisions within float32 rounding of the threshold may differ.
//
// # Adding an op
//
// Each op is one function of type opFunc (multiOpFunc for ops with several
// results), registered under its ONNX name in the tables in ops.go; the
// eval_*.go files group them by family.
package eval
