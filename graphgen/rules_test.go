package graphgen_test

import (
	"slices"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// ruleCase builds one op (or a short chain) on inputs made with f.in, whose
// ranges keep each op in its smooth domain.
type ruleCase struct {
	name  string
	ops   []string // the rules it exercises
	build func(f *fixture) *graphgen.Value
}

var ruleCases = []ruleCase{
	{"add broadcast", []string{"Add"}, func(f *fixture) *graphgen.Value { return f.Add(f.in(-1, 1, 2, 3, 4), f.in(-1, 1, 3, 1)) }},
	{"add same operand", []string{"Add"}, func(f *fixture) *graphgen.Value { x := f.in(-1, 1, 2, 3); return f.Add(x, x) }},
	{"sub broadcast", []string{"Sub"}, func(f *fixture) *graphgen.Value { return f.Sub(f.in(-1, 1, 3), f.in(-1, 1, 2, 1)) }},
	{"mul broadcast both", []string{"Mul"}, func(f *fixture) *graphgen.Value { return f.Mul(f.in(-1, 1, 2, 1, 4), f.in(-1, 1, 3, 1)) }},
	{"div broadcast", []string{"Div"}, func(f *fixture) *graphgen.Value { return f.Div(f.in(-1, 1, 2, 3), f.in(0.5, 2, 3)) }},
	{"pow", []string{"Pow"}, func(f *fixture) *graphgen.Value { return f.Pow(f.in(0.5, 2, 2, 3), f.in(-1.5, 1.5, 2, 3)) }},
	{"pow constant exponent", []string{"Pow"}, func(f *fixture) *graphgen.Value {
		return f.Pow(f.in(-2, 2, 2, 3), f.Scalar(f.dt, 3))
	}},
	{"neg", []string{"Neg"}, func(f *fixture) *graphgen.Value { return f.Neg(f.in(-1, 1, 2, 3)) }},
	{"exp", []string{"Exp"}, func(f *fixture) *graphgen.Value { return f.Exp(f.in(-1, 1, 2, 3)) }},
	{"log", []string{"Log"}, func(f *fixture) *graphgen.Value { return f.Log(f.in(0.5, 2, 2, 3)) }},
	{"sqrt", []string{"Sqrt"}, func(f *fixture) *graphgen.Value { return f.Sqrt(f.in(0.5, 2, 2, 3)) }},
	{"tanh", []string{"Tanh"}, func(f *fixture) *graphgen.Value { return f.Tanh(f.in(-2, 2, 2, 3)) }},
	{"erf", []string{"Erf"}, func(f *fixture) *graphgen.Value { return f.Erf(f.in(-2, 2, 2, 3)) }},
	{"reciprocal", []string{"Reciprocal"}, func(f *fixture) *graphgen.Value { return f.Reciprocal(f.in(0.5, 2, 2, 3)) }},
	{"sin", []string{"Sin"}, func(f *fixture) *graphgen.Value { return f.Sin(f.in(-3, 3, 2, 3)) }},
	{"cos", []string{"Cos"}, func(f *fixture) *graphgen.Value { return f.Cos(f.in(-3, 3, 2, 3)) }},
	{"identity", []string{"Identity"}, func(f *fixture) *graphgen.Value { return f.Identity(f.in(-1, 1, 2, 3)) }},
	{"cast through float32", []string{"Cast"}, func(f *fixture) *graphgen.Value {
		return f.Cast(f.Tanh(f.Cast(f.in(-1, 1, 2, 3), graphgen.Float32)), graphgen.Float64)
	}},
	{"matmul broadcast batch", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 2, 1, 3, 4), f.in(-1, 1, 3, 4, 5)) }},
	{"matmul rank-2 right", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 2, 3, 4), f.in(-1, 1, 4, 5)) }},
	// gradients formed through the product's transpose: Aᵀ (dB) and Bᵀ (dA)
	// would hold more elements than the cotangent and the product together
	{"matmul wide left operand", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 2, 3, 6, 6), f.in(-1, 1, 3, 6, 2)) }},
	{"matmul wide right operand", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 3, 2, 6), f.in(-1, 1, 2, 3, 6, 6)) }},
	// both tangents set and a product larger than twice its operands: the
	// JVP is one MatMul over the doubled contraction
	{"matmul outer product", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 2, 9, 2), f.in(-1, 1, 2, 2, 9)) }},
	{"matmul rank-2 left", []string{"MatMul"}, func(f *fixture) *graphgen.Value { return f.MatMul(f.in(-1, 1, 3, 4), f.in(-1, 1, 2, 4, 5)) }},
	{"gemm plain row bias", []string{"Gemm"}, func(f *fixture) *graphgen.Value {
		return f.Gemm(f.in(-1, 1, 3, 4), f.in(-1, 1, 4, 5), f.in(-1, 1, 5), false, false, 0.5, 2)
	}},
	{"gemm transA full bias", []string{"Gemm"}, func(f *fixture) *graphgen.Value {
		return f.Gemm(f.in(-1, 1, 4, 3), f.in(-1, 1, 4, 5), f.in(-1, 1, 3, 5), true, false, 1, 0.5)
	}},
	{"gemm transB column bias", []string{"Gemm"}, func(f *fixture) *graphgen.Value {
		return f.Gemm(f.in(-1, 1, 3, 4), f.in(-1, 1, 5, 4), f.in(-1, 1, 3, 1), false, true, 2, 1)
	}},
	{"gemm both transposed no bias", []string{"Gemm"}, func(f *fixture) *graphgen.Value {
		return f.Gemm(f.in(-1, 1, 4, 3), f.in(-1, 1, 5, 4), nil, true, true, 1.5, 1)
	}},
	{"conv strided padded dilated", []string{"Conv"}, func(f *fixture) *graphgen.Value {
		p := graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{1, 2}, Pads: [4]int{1, 0, 2, 1}}
		return f.Conv(f.in(-1, 1, 2, 3, 7, 6), f.in(-1, 1, 4, 3, 3, 2), f.in(-1, 1, 4), p)
	}},
	{"conv stride leaves rows unread", []string{"Conv"}, func(f *fixture) *graphgen.Value {
		p := graphgen.ConvParams{Strides: [2]int{3, 2}, Pads: [4]int{1, 1, 0, 0}}
		return f.Conv(f.in(-1, 1, 1, 2, 8, 7), f.in(-1, 1, 3, 2, 2, 2), nil, p)
	}},
	{"conv grouped strided padded dilated", []string{"Conv"}, func(f *fixture) *graphgen.Value {
		p := graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{1, 2}, Pads: [4]int{1, 0, 2, 1}, Group: 2}
		return f.Conv(f.in(-1, 1, 2, 4, 7, 6), f.in(-1, 1, 6, 2, 3, 2), f.in(-1, 1, 6), p)
	}},
	{"conv depthwise multiplier, stride leaves rows unread", []string{"Conv"}, func(f *fixture) *graphgen.Value {
		p := graphgen.ConvParams{Strides: [2]int{3, 2}, Pads: [4]int{0, 1, 1, 0}, Group: 3}
		return f.Conv(f.in(-1, 1, 2, 3, 8, 7), f.in(-1, 1, 6, 1, 2, 2), nil, p)
	}},
	{"reshape", []string{"Reshape"}, func(f *fixture) *graphgen.Value { return f.Reshape(f.in(-1, 1, 2, 3, 4), 6, -1) }},
	{"transpose", []string{"Transpose"}, func(f *fixture) *graphgen.Value { return f.Transpose(f.in(-1, 1, 2, 3, 4), 2, 0, 1) }},
	{"slice steps", []string{"Slice"}, func(f *fixture) *graphgen.Value {
		return f.Slice(f.in(-1, 1, 5, 7, 4), []int{0, 1, -1}, []int{1, 0, 1}, []int{5, 100, 3}, []int{2, 3, 1})
	}},
	{"slice step overshoots", []string{"Slice"}, func(f *fixture) *graphgen.Value {
		return f.Slice(f.in(-1, 1, 3, 8), []int{1}, []int{1}, []int{8}, []int{4})
	}},
	{"slice steps on the last two axes", []string{"Slice"}, func(f *fixture) *graphgen.Value {
		return f.Slice(f.in(-1, 1, 2, 7, 6), []int{1, 2}, []int{2, 1}, []int{7, 5}, []int{2, 3})
	}},
	{"concat repeated operand", []string{"Concat"}, func(f *fixture) *graphgen.Value {
		a := f.in(-1, 1, 2, 1, 3)
		return f.Concat(1, a, f.in(-1, 1, 2, 2, 3), a)
	}},
	{"pad", []string{"Pad"}, func(f *fixture) *graphgen.Value { return f.Pad(f.in(-1, 1, 2, 3), 1, 0, 2, 3) }},
	{"reduce sum kept", []string{"ReduceSum"}, func(f *fixture) *graphgen.Value { return f.ReduceSum(f.in(-1, 1, 2, 3, 4), true, 0, 2) }},
	{"reduce sum dropped", []string{"ReduceSum"}, func(f *fixture) *graphgen.Value { return f.ReduceSum(f.in(-1, 1, 2, 3, 4), false, 1) }},
	{"reduce mean dropped", []string{"ReduceMean"}, func(f *fixture) *graphgen.Value { return f.ReduceMean(f.in(-1, 1, 2, 3, 4), false, 0, 2) }},
	{"reduce mean kept", []string{"ReduceMean"}, func(f *fixture) *graphgen.Value { return f.ReduceMean(f.in(-1, 1, 2, 3, 4), true, -1) }},
	{"squeeze", []string{"Squeeze"}, func(f *fixture) *graphgen.Value { return f.Squeeze(f.in(-1, 1, 2, 1, 3, 1), 1, 3) }},
	{"unsqueeze", []string{"Unsqueeze"}, func(f *fixture) *graphgen.Value { return f.Unsqueeze(f.in(-1, 1, 2, 3), 0, 3) }},
	{"expand", []string{"Expand"}, func(f *fixture) *graphgen.Value { return f.Expand(f.in(-1, 1, 3, 1), 2, 3, 4) }},
	{"softmax", []string{"Softmax"}, func(f *fixture) *graphgen.Value { return f.Softmax(f.in(-2, 2, 2, 4, 3), 1) }},
	// attention: the softmax gradient's row sums come from the product
	{"softmax read by one matmul", []string{"Softmax", "MatMul"}, func(f *fixture) *graphgen.Value {
		return f.MatMul(f.Softmax(f.in(-2, 2, 2, 3, 6, 6), -1), f.in(-1, 1, 2, 3, 6, 2))
	}},
	// attention: the logits' tangent is one MatMul of short contraction,
	// whose row sums against the softmax come from another MatMul
	{"attention", []string{"Softmax", "MatMul"}, func(f *fixture) *graphgen.Value {
		logits := f.MatMul(f.in(-1, 1, 1, 2, 16, 2), f.in(-1, 1, 1, 2, 2, 16))
		return f.MatMul(f.Softmax(logits, -1), f.in(-1, 1, 1, 2, 16, 2))
	}},
	{"log softmax", []string{"LogSoftmax"}, func(f *fixture) *graphgen.Value { return f.LogSoftmax(f.in(-2, 2, 2, 3, 4), -1) }},
	{"layer norm", []string{"LayerNormalization"}, func(f *fixture) *graphgen.Value {
		return f.LayerNorm(f.in(-2, 2, 2, 3, 5), f.in(0.5, 1.5, 5), f.in(-1, 1, 5), 1e-5)
	}},
	{"layer norm no bias", []string{"LayerNormalization"}, func(f *fixture) *graphgen.Value {
		return f.LayerNorm(f.in(-2, 2, 4, 6), f.in(0.5, 1.5, 6), nil, 0.25)
	}},
}

// TestRules checks every rule in both modes against central differences, per
// input element for the VJP, and the two modes against each other.
func TestRules(t *testing.T) {
	for i, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(c.name, uint64(100+i))
			checkDerivatives(t, f, c.build(f), true)
		})
	}
}

// TestRulesORT runs every case's function, JVP and VJP in float32 through
// ONNX Runtime and compares them with the float64 evaluation of the same
// graph on the same (float32-rounded) numbers. This checks that the emitted
// nodes mean in ONNX Runtime what they mean in the evaluator. Float32
// rounding (6e-8 per op) along the ≤ 20-op chains of a rule and the ≤ 20-term
// sums of O(1) values stays within 1e-5 of max(1, |value|).
func TestRulesORT(t *testing.T) {
	for i, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(c.name, uint64(200+i))
			f.dt = graphgen.Float32
			y := c.build(f)
			d := f.derive(t, y)
			f.checkORT(t, append([]*graphgen.Value{y, d.jvp}, d.grads...), 1e-5)
		})
	}
}

// TestEveryRuleIsTested keeps the tables and the cases in step.
func TestEveryRuleIsTested(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range ruleCases {
		for _, op := range c.ops {
			covered[op] = true
		}
	}
	vjp, jvp := graphgen.VJPRuleOps(), graphgen.JVPRuleOps()
	if !slices.Equal(vjp, jvp) {
		t.Errorf("the tables differ: VJP rules for %v, JVP rules for %v", vjp, jvp)
	}
	for _, op := range vjp {
		if !covered[op] {
			t.Errorf("no test case exercises the %s rules", op)
		}
	}
}
