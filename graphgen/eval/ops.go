package eval

import (
	"math"

	"github.com/asvit/asvit/graphgen"
)

// opFunc computes a node's single output from its operands (aligned with
// Node.Inputs; nil marks an omitted optional operand) and attributes. It
// must not modify its operands.
type opFunc func(n *graphgen.Node, in []*tensor) (*tensor, error)

// multiOpFunc is opFunc for ops with several outputs, returned in order.
type multiOpFunc func(n *graphgen.Node, in []*tensor) ([]*tensor, error)

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
	"Sigmoid":    unary(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }),
	"Cast":       cast,
	"Min":        binary(math.Min),

	// eval_logic.go
	"Equal":          binary(func(a, b float64) float64 { return b2f(a == b) }),
	"Less":           binary(func(a, b float64) float64 { return b2f(a < b) }),
	"LessOrEqual":    binary(func(a, b float64) float64 { return b2f(a <= b) }),
	"Greater":        binary(func(a, b float64) float64 { return b2f(a > b) }),
	"GreaterOrEqual": binary(func(a, b float64) float64 { return b2f(a >= b) }),
	"And":            binary(func(a, b float64) float64 { return b2f(a != 0 && b != 0) }),
	"Or":             binary(func(a, b float64) float64 { return b2f(a != 0 || b != 0) }),
	"Not":            unary(func(x float64) float64 { return b2f(x == 0) }),
	"Where":          where,

	// eval_linalg.go
	"MatMul": matMul,
	"Gemm":   gemm,

	// eval_conv.go
	"Conv":          conv,
	"ConvTranspose": convTranspose,
	"MaxPool":       maxPool,

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
	"ReduceSum":  reduce(0, func(acc, x float64) float64 { return acc + x }, false),
	"ReduceMean": reduce(0, func(acc, x float64) float64 { return acc + x }, true),
	"ReduceMax":  reduce(math.Inf(-1), math.Max, false),
	"Softmax":    softmax(false),
	"LogSoftmax": softmax(true),

	// eval_index.go
	"GatherElements":    gatherElements,
	"GatherND":          gatherND,
	"ScatterND":         scatterND,
	"NonMaxSuppression": nonMaxSuppression,
}

// multiOps is the registry of ops with several outputs.
var multiOps = map[string]multiOpFunc{
	// eval_index.go
	"TopK": topK,
	// eval_reduce.go
	"LayerNormalization": layerNorm,
}
