package graphgen

import "slices"

// jvpCtx is what a forward rule sees: the graph (whose op methods it
// embeds), the node and the tangent of each input (nil for zero; at least
// one is set).
type jvpCtx struct {
	*Graph
	n   *Node
	tan []*Value
}

func (c *jvpCtx) x(i int) *Value { return c.n.Inputs[i] }

func (c *jvpCtx) y() *Value { return c.n.Outputs[0] }

// t returns the tangent of input i, nil when it is zero or absent.
func (c *jvpCtx) t(i int) *Value {
	if i < len(c.tan) {
		return c.tan[i]
	}
	return nil
}

// term returns f(tᵢ), or nil when input i has no tangent.
func (c *jvpCtx) term(i int, f func(t *Value) *Value) *Value {
	if t := c.t(i); t != nil {
		return f(t)
	}
	return nil
}

// sum adds the terms that are not nil and broadcasts the total to the
// output's shape; nil when all are.
func (c *jvpCtx) sum(terms ...*Value) *Value {
	var total *Value
	for _, t := range terms {
		switch {
		case t == nil:
		case total == nil:
			total = t
		default:
			total = c.Add(total, t)
		}
	}
	if total != nil && !slices.Equal(total.shape, c.y().shape) {
		total = c.Expand(total, c.y().shape...)
	}
	return total
}

// with applies the node's op to its operands with input i replaced by v and
// every input past the first two dropped (the bias of Gemm and Conv).
func (c *jvpCtx) with(i int, v *Value) *Value {
	in := slices.Clone(c.n.Inputs[:2])
	in[i] = v
	return c.apply(c.n, in)
}

// jvpRule returns the tangent of c.n's output.
type jvpRule func(c *jvpCtx) *Value

// jvpRules lists the forward rule of every op. A linear op's rule is the op
// itself applied to the tangents; a bilinear op's is the op applied with one
// operand at a time replaced by its tangent.
var jvpRules = map[string]jvpRule{
	"Add": func(c *jvpCtx) *Value { return c.sum(c.t(0), c.t(1)) },           // tY = tA + tB
	"Sub": func(c *jvpCtx) *Value { return c.sum(c.t(0), c.term(1, c.Neg)) }, // tY = tA - tB
	"Mul": bilinearJVP,                                                       // tY = tA⊙B + A⊙tB
	"Div": func(c *jvpCtx) *Value { // tY = tA/B - tB⊙Y/B
		b := c.x(1)
		return c.sum(c.term(0, func(t *Value) *Value { return c.Div(t, b) }),
			c.term(1, func(t *Value) *Value { return c.Neg(c.Div(c.Mul(t, c.y()), b)) }))
	},
	"Pow": func(c *jvpCtx) *Value { // tY = tA⊙B⊙A^(B-1) + tB⊙Y⊙ln A  (the second for A > 0 only)
		a, b := c.x(0), c.x(1)
		return c.sum(c.term(0, func(t *Value) *Value { return c.Mul(t, c.Mul(b, c.Pow(a, c.Sub(b, c.Scalar(b.dtype, 1))))) }),
			c.term(1, func(t *Value) *Value { return c.Mul(t, c.Mul(c.y(), c.Log(a))) }))
	},
	"Neg":        linearJVP,
	"Identity":   linearJVP,
	"Cast":       linearJVP, // float to float
	"Exp":        chainJVP,
	"Log":        chainJVP,
	"Sqrt":       chainJVP,
	"Tanh":       chainJVP,
	"Erf":        chainJVP,
	"Reciprocal": chainJVP,
	"Sin":        chainJVP,
	"Cos":        chainJVP,
	"MatMul":     matMulJVP,
	"Gemm": func(c *jvpCtx) *Value { // tY = α·(op(tA)·op(B) + op(A)·op(tB)) + β·tC
		return c.sum(bilinearJVP(c), c.term(2, func(t *Value) *Value { return c.scaled(t, c.n.attrFloat("beta")) }))
	},
	"Conv": func(c *jvpCtx) *Value { // tY = conv(tX, W) + conv(X, tW) + tb per channel, same group
		return c.sum(bilinearJVP(c), c.term(2, func(t *Value) *Value { return c.Unsqueeze(t, 0, 2, 3) }))
	},
	"Reshape":    linearJVP,
	"Transpose":  linearJVP,
	"Slice":      linearJVP,
	"Concat":     linearJVP,
	"Pad":        linearJVP,
	"ReduceSum":  linearJVP,
	"ReduceMean": linearJVP,
	"Squeeze":    linearJVP,
	"Unsqueeze":  linearJVP,
	"Expand":     linearJVP,
	// tY = Y⊙(tX - Σ tX⊙Y)
	"Softmax": func(c *jvpCtx) *Value {
		y, t := c.y(), c.t(0)
		if normAxis("Softmax", c.n.attrInt("axis"), y.Rank()) == y.Rank()-1 {
			if shifted := c.productMinusRowDot(t, y); shifted != nil {
				return c.Mul(y, shifted)
			}
		}
		return c.softmaxTangent(y, t, c.n.attrInt("axis"))
	},
	// tY = tX - Σ softmax(X)⊙tX, with softmax(X) recomputed as exp(Y)
	"LogSoftmax": func(c *jvpCtx) *Value {
		return c.Sub(c.t(0), c.ReduceSum(c.Mul(c.Exp(c.y()), c.t(0)), true, c.n.attrInt("axis")))
	},
	// tY = γ⊙r·(tX - mean tX - x̂·mean(tX⊙x̂)) + x̂⊙tγ + tβ, with x̂ and r recomputed
	"LayerNormalization": func(c *jvpCtx) *Value {
		xhat, r := c.lnStats(c.n, map[string]*Value{})
		return c.sum(c.term(0, func(t *Value) *Value { return c.Mul(c.x(1), c.lnTangent(xhat, r, t)) }),
			c.term(1, func(t *Value) *Value { return c.Mul(xhat, t) }), c.t(2))
	},
}

// productMinusRowDot returns t - Σ t⊙s over the last axis when t is a
// MatMul A·B with a short contraction (attention logits' tangent, k ≪ n).
// The row sums are ρ = Σ A⊙(s·Bᵀ), since Σ_j Σ_k A_ik·B_kj·s_ij =
// Σ_k A_ik·(s·Bᵀ)_ik, one MatMul reading s once; and t - ρ·1ᵀ is
// productMinusRows(A, B, ρ). No pass over [.., m, n] tensors but the
// MatMuls'. Nil otherwise.
func (g *Graph) productMinusRowDot(t, s *Value) *Value {
	p := t.node
	if p == nil || p.Op != "MatMul" {
		return nil
	}
	a, b := p.Inputs[0], p.Inputs[1]
	if !slices.Equal(a.shape[:a.Rank()-1], s.shape[:s.Rank()-1]) || 4*a.Dim(-1) > s.Dim(-1) {
		return nil
	}
	return g.productMinusRows(a, b, g.ReduceSum(g.Mul(a, g.MatMul(s, g.swapLast(b))), true, -1))
}

// productMinusRows returns a·b - ρ·1ᵀ (ρ [.., m, 1]) as one MatMul over a
// contraction one longer, [a -ρ]·[b; 1ᵀ], instead of a pass subtracting ρ
// from the [.., m, n] product.
func (g *Graph) productMinusRows(a, b, rho *Value) *Value {
	ones := g.Expand(g.Scalar(b.dtype, 1), append(slices.Clone(b.shape[:b.Rank()-2]), 1, b.Dim(-1))...)
	return g.MatMul(g.Concat(-1, a, g.Neg(rho)), g.Concat(-2, b, ones))
}

// linearJVP applies a linear op to the tangents, with zeros for the
// operands that have none.
func linearJVP(c *jvpCtx) *Value {
	in := make([]*Value, len(c.n.Inputs))
	for i, x := range c.n.Inputs {
		in[i] = c.t(i)
		if in[i] == nil {
			in[i] = c.filled(x.dtype, x.shape, 0)
		}
	}
	return c.apply(c.n, in)
}

// bilinearJVP is the forward rule of an op linear in each of its first two
// operands: the op applied with each moving operand replaced by its tangent.
func bilinearJVP(c *jvpCtx) *Value {
	return c.sum(c.term(0, func(t *Value) *Value { return c.with(0, t) }),
		c.term(1, func(t *Value) *Value { return c.with(1, t) }))
}

// matMulJVP is tY = tA·B + A·tB. When both tangents are set and the
// product outweighs its operands (attention's Q·Kᵀ), it is one MatMul over
// the doubled contraction, [tA A]·[B; tB], which spares a pass over Y.
func matMulJVP(c *jvpCtx) *Value {
	a, b, ta, tb := c.x(0), c.x(1), c.t(0), c.t(1)
	if ta == nil || tb == nil || 2*(a.Size()+b.Size()) >= c.y().Size() {
		return bilinearJVP(c)
	}
	return c.MatMul(c.Concat(-1, ta, a), c.Concat(-2, b, tb))
}

// chainJVP is tY = tX⊙f'(X) for the functions of unaryDerivs.
func chainJVP(c *jvpCtx) *Value {
	return c.Mul(c.t(0), unaryDerivs[c.n.Op](c.Graph, c.x(0), c.y()))
}
