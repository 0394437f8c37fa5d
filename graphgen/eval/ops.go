package eval

import (
	"math"

	"github.com/asvit/asvit/graphgen"
)

// opFunc computes a node's single output from its operands (aligned with
// Node.Inputs; nil marks an omitted optional operand) and attributes. It
// must not modify its operands.
type opFunc func(n *graphgen.Node, in []*tensor) (*tensor, error)

// ops is the registry of supported ops by ONNX name.
var ops = map[string]opFunc{
	// eval_elementwise.go
	"Add":        binary(func(a, b float64) float64 { return a + b }),
	"Sub":        binary(func(a, b float64) float64 { return a - b }),
	"Mul":        binary(func(a, b float64) float64 { return a * b }),
	"Div":        binary(func(a, b float64) float64 { return a / b }),
	"Pow":        binary(math.Pow),
	"Max":        binary(math.Max),
	"Neg":        unary(func(x float64) float64 { return -x }),
	"Exp":        unary(math.Exp),
	"Log":        unary(math.Log),
	"Sqrt":       unary(math.Sqrt),
	"Tanh":       unary(math.Tanh),
	"Erf":        unary(math.Erf),
	"Reciprocal": unary(func(x float64) float64 { return 1 / x }),
	"Sin":        unary(math.Sin),
	"Cos":        unary(math.Cos),
	"Identity":   unary(func(x float64) float64 { return x }),
	"Cast":       cast,

	// eval_linalg.go
	"MatMul": matMul,
	"Gemm":   gemm,

	// eval_conv.go
	"Conv":          conv,
	"ConvTranspose": convTranspose,

	// eval_shape.go
	"Reshape":   reshape,
	"Transpose": transpose,
	"Slice":     slice,
	"Concat":    concat,
	"Pad":       pad,
	"Unsqueeze": unsqueeze,
	"Squeeze":   squeeze,
	"Expand":    expandOp,

	// eval_reduce.go
	"ReduceSum":          reduce(0, func(acc, x float64) float64 { return acc + x }, false),
	"ReduceMean":         reduce(0, func(acc, x float64) float64 { return acc + x }, true),
	"ReduceMax":          reduce(math.Inf(-1), math.Max, false),
	"Softmax":            softmax(false),
	"LogSoftmax":         softmax(true),
	"LayerNormalization": layerNorm,
}
