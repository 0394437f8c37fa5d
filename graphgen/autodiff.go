package graphgen

// Differentiation of graphs, in both modes.
//
// Vocabulary. For a node y = f(x₁, …, xₙ) on the way to a scalar L, the
// cotangent (adjoint) dY is ∂L/∂y; a VJP rule (vector-Jacobian product) maps
// it to one input's cotangent dXᵢ = dY·∂f/∂xᵢ. A tangent tX is a direction in
// input space; a JVP rule (Jacobian-vector product) maps the inputs' tangents
// to the output's, tY = Σᵢ ∂f/∂xᵢ·tXᵢ. A missing tangent (nil) is zero.
//
// Both sweeps append ordinary nodes to the graph being differentiated, named
// under the scope "grad/<node>" or "jvp/<node>", so the result serialises and
// runs like any forward graph and the same graph always gives the same bytes.
// Only nodes on a path from the differentiated values to the outputs are
// visited, only floating-point values carry derivatives, and rules read the
// node's forward inputs and output instead of recomputing them (the rules
// that do recompute something say so).
//
// The rules live in two tables: vjpRules (vjp_rules.go), one function per
// input position, and jvpRules (jvp_rules.go), one function per op. An op
// without a rule fails, naming it. The elementwise functions keep their
// derivative in unaryDerivs, which both tables use.

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// VJP appends nodes computing, for each x in wrt, the gradient of
// Σᵢ ⟨seeds[i], ys[i]⟩ with respect to x. A nil seed (or a nil seeds slice)
// means ones of ys[i]'s shape; a given seed must have ys[i]'s shape and
// dtype. The results are aligned with wrt; an x that no y depends on gets a
// zero constant of its shape. A value in wrt that depends on another one gets
// its total gradient, including the paths through it.
//
// The appended nodes have the graph's static shapes. Under
// Graph.DynamicBatch they hold for other batch sizes only where dimension 0
// is carried through: default seeds are constants of the built batch size,
// and the gradient of a reduction over dimension 0 is an Expand, whose
// dimension 0 DynamicBatch keeps as it is (1).
func VJP(ys, seeds, wrt []*Value) (grads []*Value, err error) {
	err = Catch(func() {
		g := commonGraph("VJP", ys, wrt)
		if seeds != nil && len(seeds) != len(ys) {
			fail("VJP", "%d seeds for %d outputs; give one per output or nil for ones", len(seeds), len(ys))
		}
		r := g.backprop(ys, seeds, wrt, nil)
		grads = make([]*Value, len(wrt))
		for i, x := range wrt {
			grads[i] = r.cot[x]
			if grads[i] == nil {
				grads[i] = g.filled(x.dtype, x.shape, 0)
			}
		}
	})
	return grads, err
}

// JVP appends nodes computing the directional derivatives of ys when each x
// in xs moves along tangents[i] (of x's shape and dtype). The xs must be
// independent: none may depend on another. A y that depends on no x gets a
// zero constant of its shape. Under Graph.DynamicBatch, a tangent that only
// reaches an output through a value without the batch axis (a bias, say) is
// broadcast with an Expand that keeps dimension 0 at 1; tangents of the
// inputs carry the batch through.
func JVP(xs, tangents, ys []*Value) (outs []*Value, err error) {
	err = Catch(func() {
		g := commonGraph("JVP", ys, xs)
		if len(tangents) != len(xs) {
			fail("JVP", "%d tangents for %d inputs; give one per input", len(tangents), len(xs))
		}
		nodes := g.snapshot()
		for i, x := range xs {
			if x2, on := dependsOnOther(nodes, xs, i); on {
				fail("JVP", "input %s depends on or repeats input %s; pass distinct independent values", x, x2)
			}
			checkLike("JVP", "tangent", tangents[i], x)
		}
		tan := g.forwardSweep(nodes, xs, tangents, ys)
		outs = make([]*Value, len(ys))
		for i, y := range ys {
			outs[i] = tan[y]
			if outs[i] == nil {
				outs[i] = g.filled(y.dtype, y.shape, 0)
			}
		}
	})
	return outs, err
}

// commonGraph checks that every value is non-nil, floating point and of one
// graph, and returns that graph.
func commonGraph(op string, groups ...[]*Value) *Graph {
	var g *Graph
	for _, vs := range groups {
		for _, v := range vs {
			if v == nil {
				fail(op, "nil value")
			}
			if !v.dtype.IsFloat() {
				fail(op, "%s is not floating point; only float values have derivatives", v)
			}
			if g == nil {
				g = v.g
			} else if v.g != g {
				fail(op, "%s belongs to another graph", v)
			}
		}
	}
	if g == nil {
		fail(op, "no values to differentiate")
	}
	return g
}

// checkLike fails unless v (named what) has ref's graph, dtype and shape.
func checkLike(op, what string, v, ref *Value) {
	if v == nil || v.g != ref.g || v.dtype != ref.dtype || !slices.Equal(v.shape, ref.shape) {
		fail(op, "%s %v must have the graph, dtype and shape of %s", what, v, ref)
	}
}

// snapshot returns the nodes built so far; the sweeps append after them.
func (g *Graph) snapshot() []*Node { return slices.Clip(g.nodes) }

// dependents returns the float values that depend on any of from, from included.
func dependents(nodes []*Node, from []*Value) map[*Value]bool {
	dep := map[*Value]bool{}
	for _, v := range from {
		dep[v] = true
	}
	for _, n := range nodes {
		if slices.ContainsFunc(n.Inputs, func(v *Value) bool { return v != nil && dep[v] }) {
			for _, o := range n.Outputs {
				if o.dtype.IsFloat() {
					dep[o] = true
				}
			}
		}
	}
	return dep
}

// dependsOnOther reports which other value of xs, if any, xs[i] depends on
// or equals.
func dependsOnOther(nodes []*Node, xs []*Value, i int) (*Value, bool) {
	for j, x := range xs {
		if j != i && dependents(nodes, []*Value{x})[xs[i]] {
			return x, true
		}
	}
	return nil, false
}

// reverse is one reverse sweep: the cotangents it found and the forward
// quantities its rules recomputed, by node.
type reverse struct {
	g    *Graph
	cot  map[*Value]*Value
	memo map[*Node]map[string]*Value
	from map[*Value][]*Node // the nodes whose rules gave each cotangent, nil for a seed
}

// backprop runs the reverse sweep from ys (seeded by seeds, nil for ones)
// towards wrt. Cotangents are kept for every value that depends on wrt,
// except those in skip, whose cotangents are not needed.
func (g *Graph) backprop(ys, seeds, wrt []*Value, skip map[*Value]bool) *reverse {
	nodes := g.snapshot()
	need := dependents(nodes, wrt)
	for v := range skip {
		delete(need, v)
	}
	r := &reverse{g: g, cot: map[*Value]*Value{}, memo: map[*Node]map[string]*Value{}, from: map[*Value][]*Node{}}
	g.Scope("grad", func() {
		for i, y := range ys {
			var seed *Value
			if seeds != nil && seeds[i] != nil {
				seed = seeds[i]
				checkLike("VJP", "seed", seed, y)
			}
			if !need[y] {
				continue
			}
			if seed == nil {
				seed = g.filled(y.dtype, y.shape, 1)
			}
			r.accumulate(y, seed, nil)
		}
	})
	for k := len(nodes) - 1; k >= 0; k-- {
		n := nodes[k]
		dy := r.cot[n.Outputs[0]]
		if dy == nil {
			continue
		}
		if len(n.Outputs) != 1 && !auxOutputs(n) {
			fail("VJP", "node %s (%s) has %d outputs; the rules handle one", n.Name, n.Op, len(n.Outputs))
		}
		for _, aux := range n.Outputs[1:] {
			if r.cot[aux] != nil {
				fail("VJP", "a derivative reaches %s, a statistic of node %s (%s); derivatives through it are not supported", aux.name, n.Name, n.Op)
			}
		}
		g.Scope("grad/"+n.Name, func() {
			c := r.ctx(n)
			for i, x := range n.Inputs {
				if x != nil && need[x] {
					r.accumulate(x, c.inputGrad(i), n)
				}
			}
		})
	}
	return r
}

// ctx returns the context the rules of n see, with n's memo.
func (r *reverse) ctx(n *Node) *vjpCtx {
	if r.memo[n] == nil {
		r.memo[n] = map[string]*Value{}
	}
	return &vjpCtx{Graph: r.g, n: n, dy: r.cot[n.Outputs[0]], memo: r.memo[n], rev: r}
}

func (r *reverse) accumulate(v, d *Value, by *Node) {
	if old := r.cot[v]; old != nil {
		d = r.g.Add(old, d)
	}
	r.cot[v] = d
	r.from[v] = append(r.from[v], by)
}

// inputGrad applies the rule for input i and checks what it returns.
func (c *vjpCtx) inputGrad(i int) *Value {
	rules, ok := vjpRules[c.n.Op]
	if !ok {
		fail("VJP", "no gradient rule for op %s (node %s); ops with rules: %s", c.n.Op, c.n.Name, ruleNames(vjpRules))
	}
	x, k := c.x(i), i
	if variadicVJP[c.n.Op] {
		k = 0
	}
	if k >= len(rules) || rules[k] == nil {
		fail("VJP", "input %d (%s) of %s node %s has no gradient", i, x, c.n.Op, c.n.Name)
	}
	c.i = i
	dx := rules[k](c)
	if dx.dtype != x.dtype || !slices.Equal(dx.shape, x.shape) {
		fail("VJP", "bug in the %s rule for input %d: gradient %s for operand %s", c.n.Op, i, dx, x)
	}
	return dx
}

// forwardSweep propagates tangents from xs through the nodes that lead to ys.
func (g *Graph) forwardSweep(nodes []*Node, xs, tangents, ys []*Value) map[*Value]*Value {
	tan := map[*Value]*Value{}
	for i, x := range xs {
		tan[x] = tangents[i]
	}
	lead := ancestors(nodes, ys)
	stat := map[*Value]bool{} // the statistics outputs of moving nodes
	for _, n := range nodes {
		ts := make([]*Value, len(n.Inputs))
		moving := false
		for i, x := range n.Inputs {
			if x != nil && x.dtype.IsFloat() {
				ts[i] = tan[x]
				moving = moving || ts[i] != nil
			}
		}
		if !lead[n] {
			continue
		}
		for _, x := range n.Inputs {
			if stat[x] {
				fail("JVP", "node %s (%s) reads %s, a statistic of a moving %s; derivatives through it are not supported", n.Name, n.Op, x.name, x.node.Op)
			}
		}
		if !moving {
			continue
		}
		if len(n.Outputs) != 1 && !auxOutputs(n) {
			fail("JVP", "node %s (%s) has %d outputs; the rules handle one", n.Name, n.Op, len(n.Outputs))
		}
		rule, ok := jvpRules[n.Op]
		if !ok {
			fail("JVP", "no tangent rule for op %s (node %s); ops with rules: %s", n.Op, n.Name, ruleNames(jvpRules))
		}
		g.Scope("jvp/"+n.Name, func() {
			y := n.Outputs[0]
			t := rule(&jvpCtx{Graph: g, n: n, tan: ts})
			if t != nil && (t.dtype != y.dtype || !slices.Equal(t.shape, y.shape)) {
				fail("JVP", "bug in the %s rule: tangent %s for result %s", n.Op, t, y)
			}
			tan[y] = t
			for _, aux := range n.Outputs[1:] {
				stat[aux] = true
			}
		})
	}
	return tan
}

// ancestors returns the nodes that ys depend on.
func ancestors(nodes []*Node, ys []*Value) map[*Node]bool {
	want := map[*Value]bool{}
	for _, y := range ys {
		want[y] = true
	}
	lead := map[*Node]bool{}
	for k := len(nodes) - 1; k >= 0; k-- {
		n := nodes[k]
		if slices.ContainsFunc(n.Outputs, func(v *Value) bool { return want[v] }) {
			lead[n] = true
			for _, x := range n.Inputs {
				want[x] = true
			}
		}
	}
	return lead
}

func ruleNames[T any](table map[string]T) string {
	return strings.Join(slices.Sorted(maps.Keys(table)), " ")
}

// filled returns a constant of the given shape with every element x.
func (g *Graph) filled(dt DType, shape []int, x float64) *Value {
	if len(shape) == 0 {
		return g.Scalar(dt, x)
	}
	data := make([]float64, numel(shape))
	for i := range data {
		data[i] = x
	}
	return g.floatConst(dt, shape, data)
}

// floatConst adds a constant of float dtype dt holding data.
func (g *Graph) floatConst(dt DType, shape []int, data []float64) *Value {
	switch dt {
	case Float32:
		d := make([]float32, len(data))
		for i, x := range data {
			d[i] = float32(x)
		}
		return g.Const(dt, shape, d)
	case Float64:
		return g.Const(dt, shape, data)
	}
	fail("Const", "cannot make a %v constant from floats", dt)
	return nil
}

// sumTo sums v over the axes along which a value of shape was broadcast to
// v's shape, giving that shape.
func (g *Graph) sumTo(v *Value, shape []int) *Value {
	lead := v.Rank() - len(shape)
	var axes []int
	for i, d := range v.shape {
		if i < lead || (d != 1 && shape[i-lead] == 1) {
			axes = append(axes, i)
		}
	}
	if len(axes) > 0 {
		v = g.ReduceSum(v, true, axes...)
	}
	if !slices.Equal(v.shape, shape) {
		v = g.Reshape(v, shape...)
	}
	return v
}

// swapLast transposes the last two axes.
func (g *Graph) swapLast(v *Value) *Value {
	perm := make([]int, v.Rank())
	for i := range perm {
		perm[i] = i
	}
	r := v.Rank()
	perm[r-2], perm[r-1] = r-1, r-2
	return g.Transpose(v, perm...)
}

// scaled returns v·s, or v itself when s is 1.
func (g *Graph) scaled(v *Value, s float64) *Value {
	if s == 1 {
		return v
	}
	return g.Scale(v, s)
}

// apply appends a node with n's op and attributes on new operands whose
// shapes are those of n's (so n's output shape holds): a linear op's JVP.
func (g *Graph) apply(n *Node, inputs []*Value) *Value {
	y := n.Outputs[0]
	return g.op1(n.Op, inputs, maps.Clone(n.Attrs), y.dtype, slices.Clone(y.shape))
}

// Attribute readers for the attributes the builders set.

func (n *Node) attrInt(key string) int { return int(n.Attrs[key].(int64)) }

func (n *Node) attrFloat(key string) float64 { return float64(n.Attrs[key].(float32)) }

func (n *Node) attrInts(key string) []int {
	vs := n.Attrs[key].([]int64)
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = int(v)
	}
	return out
}

func (n *Node) convParams() ConvParams {
	var p ConvParams
	copy(p.Strides[:], n.attrInts("strides"))
	copy(p.Dilations[:], n.attrInts("dilations"))
	copy(p.Pads[:], n.attrInts("pads"))
	if _, ok := n.Attrs["group"]; ok {
		p.Group = n.attrInt("group")
	}
	return p
}

// unaryDerivs gives f'(x) for the elementwise functions, from the operand x
// and the result y = f(x). Reverse mode uses dX = dY·f'(X), forward mode
// tY = tX·f'(X).
var unaryDerivs = map[string]func(g *Graph, x, y *Value) *Value{
	// (eˣ)' = eˣ
	"Exp": func(g *Graph, x, y *Value) *Value { return y },
	// (ln x)' = 1/x, infinite at 0
	"Log": func(g *Graph, x, y *Value) *Value { return g.Reciprocal(x) },
	// (√x)' = 1/(2√x), infinite at 0
	"Sqrt": func(g *Graph, x, y *Value) *Value { return g.Reciprocal(g.Scale(y, 2)) },
	// tanh' = 1 - tanh²
	"Tanh": func(g *Graph, x, y *Value) *Value { return g.Sub(g.Scalar(x.dtype, 1), g.Mul(y, y)) },
	// erf'(x) = 2/√π·e^(-x²)
	"Erf": func(g *Graph, x, y *Value) *Value {
		return g.Scale(g.Exp(g.Neg(g.Mul(x, x))), 2/math.Sqrt(math.Pi))
	},
	// (1/x)' = -1/x², infinite at 0
	"Reciprocal": func(g *Graph, x, y *Value) *Value { return g.Neg(g.Mul(y, y)) },
	// sin' = cos
	"Sin": func(g *Graph, x, y *Value) *Value { return g.Cos(x) },
	// cos' = -sin
	"Cos": func(g *Graph, x, y *Value) *Value { return g.Neg(g.Sin(x)) },
}

// softmaxTangent returns s⊙(v - Σ_axis v⊙s), the product of the softmax
// Jacobian diag(s) - s·sᵀ with v. The Jacobian is symmetric, so both modes
// use it.
func (g *Graph) softmaxTangent(s, v *Value, axis int) *Value {
	return g.Mul(s, g.Sub(v, g.ReduceSum(g.Mul(v, s), true, axis)))
}

// lnStats returns the normalised operand x̂ = (x-μ)·r and r = 1/√(σ²+ε)
// of a LayerNormalization node over the last axis; memo keeps them for the
// node's other rules. A float32 node gives μ and r itself, through its
// optional Mean and InvStdDev outputs (added on first use); ONNX Runtime
// has no kernel with those outputs in float64, so a float64 node's are
// recomputed with primitive ops, in float64.
func (g *Graph) lnStats(n *Node, memo map[string]*Value) (xhat, r *Value) {
	if memo["xhat"] == nil {
		x := n.Inputs[0]
		if x.dtype == Float32 {
			var mean *Value
			mean, memo["r"] = g.lnStatOutputs(n)
			memo["xhat"] = g.Mul(g.Sub(x, mean), memo["r"])
		} else {
			xc := g.Sub(x, g.ReduceMean(x, true, -1))
			variance := g.ReduceMean(g.Mul(xc, xc), true, -1)
			memo["r"] = g.Reciprocal(g.Sqrt(g.AddScalar(variance, n.attrFloat("epsilon"))))
			memo["xhat"] = g.Mul(xc, memo["r"])
		}
	}
	return memo["xhat"], memo["r"]
}

// lnStatOutputs returns the Mean and InvStdDev outputs of a float32
// LayerNormalization node n ([.., 1] over its last axis), declaring them on
// n the first time. Derivatives never flow through them: the sweeps refuse
// a path that does.
func (g *Graph) lnStatOutputs(n *Node) (mean, invStd *Value) {
	if len(n.Outputs) == 1 {
		x := n.Inputs[0]
		shape := append(slices.Clone(x.shape[:x.Rank()-1]), 1)
		for i := 1; i <= 2; i++ {
			n.Outputs = append(n.Outputs, &Value{g: g, name: fmt.Sprintf("%s:%d", n.Name, i), dtype: x.dtype, shape: shape, node: n, kind: kindNode})
		}
	}
	return n.Outputs[1], n.Outputs[2]
}

// auxOutputs reports whether n's outputs past the first are statistics
// that no derivative flows through.
func auxOutputs(n *Node) bool { return n.Op == "LayerNormalization" }

// lnTangent returns r·(v - mean(v) - x̂·mean(v⊙x̂)) over the last axis: the
// derivative of x̂ with respect to x applied to v. That Jacobian,
// r·(I - 11ᵀ/d - x̂x̂ᵀ/d), is symmetric, so both modes use it.
func (g *Graph) lnTangent(xhat, r, v *Value) *Value {
	centred := g.Sub(v, g.ReduceMean(v, true, -1))
	return g.Mul(r, g.Sub(centred, g.Mul(xhat, g.ReduceMean(g.Mul(v, xhat), true, -1))))
}
