package graphgen

import "slices"

// vjpCtx is what a reverse rule sees: the graph (whose op methods it
// embeds), the node, the cotangent of its output, and a memo for forward
// quantities that several of the node's input rules recompute.
type vjpCtx struct {
	*Graph
	n    *Node
	i    int // the input whose cotangent is asked for
	dy   *Value
	memo map[string]*Value
	rev  *reverse
}

func (c *vjpCtx) x(i int) *Value { return c.n.Inputs[i] }

func (c *vjpCtx) y() *Value { return c.n.Outputs[0] }

// sumTo reduces v over the axes along which input i was broadcast.
func (c *vjpCtx) sumTo(v *Value, i int) *Value { return c.Graph.sumTo(v, c.x(i).shape) }

func (c *vjpCtx) flag(key string) bool { return c.n.attrInt(key) != 0 }

// vjpRule returns the cotangent of one input of c.n.
type vjpRule func(c *vjpCtx) *Value

// vjpRules lists, per op, the rule for each input position; a position past
// the end or nil has no gradient. Broadcasting ops reduce their results with
// sumTo.
var vjpRules = map[string][]vjpRule{
	"Add": {
		func(c *vjpCtx) *Value { return c.sumTo(c.dy, 0) }, // dA = dY
		func(c *vjpCtx) *Value { return c.sumTo(c.dy, 1) }, // dB = dY
	},
	"Sub": {
		func(c *vjpCtx) *Value { return c.sumTo(c.dy, 0) },        // dA = dY
		func(c *vjpCtx) *Value { return c.sumTo(c.Neg(c.dy), 1) }, // dB = -dY
	},
	"Mul": {
		func(c *vjpCtx) *Value { return c.sumTo(c.Mul(c.dy, c.x(1)), 0) }, // dA = dY⊙B
		func(c *vjpCtx) *Value { return c.sumTo(c.Mul(c.dy, c.x(0)), 1) }, // dB = dY⊙A
	},
	"Div": {
		func(c *vjpCtx) *Value { return c.sumTo(c.Div(c.dy, c.x(1)), 0) }, // dA = dY/B
		// dB = -dY⊙Y/B  (Y = A/B)
		func(c *vjpCtx) *Value { return c.sumTo(c.Neg(c.Div(c.Mul(c.dy, c.y()), c.x(1))), 1) },
	},
	"Pow": {
		// dA = dY⊙B⊙A^(B-1)
		func(c *vjpCtx) *Value {
			a, b := c.x(0), c.x(1)
			return c.sumTo(c.Mul(c.dy, c.Mul(b, c.Pow(a, c.Sub(b, c.Scalar(b.dtype, 1))))), 0)
		},
		// dB = dY⊙Y⊙ln A, defined for A > 0 only (NaN elsewhere)
		func(c *vjpCtx) *Value { return c.sumTo(c.Mul(c.dy, c.Mul(c.y(), c.Log(c.x(0)))), 1) },
	},
	"Neg":        {func(c *vjpCtx) *Value { return c.Neg(c.dy) }},                // dX = -dY
	"Identity":   {func(c *vjpCtx) *Value { return c.dy }},                       // dX = dY
	"Cast":       {func(c *vjpCtx) *Value { return c.Cast(c.dy, c.x(0).dtype) }}, // dX = dY in X's float type
	"Exp":        {chainVJP},
	"Log":        {chainVJP},
	"Sqrt":       {chainVJP},
	"Tanh":       {chainVJP},
	"Erf":        {chainVJP},
	"Reciprocal": {chainVJP},
	"Sin":        {chainVJP},
	"Cos":        {chainVJP},
	"MatMul": {
		// dA = dY·Bᵀ, summed over A's broadcast batch axes
		func(c *vjpCtx) *Value { return c.sumTo(c.productWithTransposed(c.dy, c.x(1), false), 0) },
		// dB = Aᵀ·dY; for a rank-2 B, one Gemm over all the batch rows
		func(c *vjpCtx) *Value {
			if c.x(1).Rank() == 2 {
				return c.Gemm(c.rows(c.x(0)), c.rows(c.dy), nil, true, false, 1, 1)
			}
			return c.sumTo(c.productWithTransposed(c.dy, c.x(0), true), 1)
		},
	},
	"Gemm": {
		// dA = α·dY·op(B)ᵀ, or its transpose α·op(B)·dYᵀ when A is stored transposed
		func(c *vjpCtx) *Value {
			alpha, tB := float32(c.n.attrFloat("alpha")), c.flag("transB")
			if c.flag("transA") {
				return c.Gemm(c.x(1), c.dy, nil, tB, true, alpha, 1)
			}
			return c.Gemm(c.dy, c.x(1), nil, false, !tB, alpha, 1)
		},
		// dB = α·op(A)ᵀ·dY, or its transpose α·dYᵀ·op(A) when B is stored transposed
		func(c *vjpCtx) *Value {
			alpha, tA := float32(c.n.attrFloat("alpha")), c.flag("transA")
			if c.flag("transB") {
				return c.Gemm(c.dy, c.x(0), nil, true, tA, alpha, 1)
			}
			return c.Gemm(c.x(0), c.dy, nil, !tA, false, alpha, 1)
		},
		// dC = β·dY, summed over C's broadcast axes
		func(c *vjpCtx) *Value { return c.sumTo(c.scaled(c.dy, c.n.attrFloat("beta")), 2) },
	},
	"Conv": {
		// dX = ConvTranspose(dY, W) with the same group: every output position
		// sends dY·W back to the inputs it read
		func(c *vjpCtx) *Value {
			x := c.x(0)
			return c.ConvTranspose(c.dy, c.x(1), c.n.convParams(), [2]int{x.Dim(2), x.Dim(3)})
		},
		// dW[o,c,i,j] = Σ_{b,p,q} dY[b,o,p,q]·Xpad[b,g·C/G+c,i·d+p·s,j·d+q·s], g = o/(O/G)
		func(c *vjpCtx) *Value { return c.convWeightGrad(c.x(0), c.dy, c.x(1).shape, c.n.convParams()) },
		func(c *vjpCtx) *Value { return c.ReduceSum(c.dy, false, 0, 2, 3) }, // db = Σ_{b,p,q} dY
	},
	"Reshape":   {func(c *vjpCtx) *Value { return c.Reshape(c.dy, c.x(0).shape...) }}, // dX = dY in X's shape
	"Transpose": {func(c *vjpCtx) *Value { return c.Transpose(c.dy, inversePerm(c.n.attrInts("perm"))...) }},
	"Slice":     {func(c *vjpCtx) *Value { return c.unslice(c.dy, c.n, c.x(0).shape) }}, // dX = dY scattered into zeros
	"Concat": {
		// dXᵢ = the slice of dY where Xᵢ was put
		func(c *vjpCtx) *Value {
			axis, start := c.n.attrInt("axis"), 0
			for _, x := range c.n.Inputs[:c.i] {
				start += x.shape[axis]
			}
			return c.Slice(c.dy, []int{axis}, []int{start}, []int{start + c.x(c.i).shape[axis]}, []int{1})
		},
	},
	"Pad": {
		// dX = dY without the padding
		func(c *vjpCtx) *Value {
			x, pads := c.x(0), c.n.attrInts("pads")
			var axes, starts, ends, steps []int
			for i, d := range x.shape {
				if pads[i] != 0 || pads[i+x.Rank()] != 0 {
					axes, starts, ends, steps = append(axes, i), append(starts, pads[i]), append(ends, pads[i]+d), append(steps, 1)
				}
			}
			if axes == nil {
				return c.dy
			}
			return c.Slice(c.dy, axes, starts, ends, steps)
		},
	},
	// dX = dY broadcast back over the reduced axes
	"ReduceSum": {func(c *vjpCtx) *Value { return c.unreduce() }},
	// dX = dY/count broadcast back over the reduced axes
	"ReduceMean": {func(c *vjpCtx) *Value { return c.Scale(c.unreduce(), float64(c.y().Size())/float64(c.x(0).Size())) }},
	"Squeeze":    {func(c *vjpCtx) *Value { return c.Unsqueeze(c.dy, c.n.attrInts("axes")...) }},
	"Unsqueeze":  {func(c *vjpCtx) *Value { return c.Squeeze(c.dy, c.n.attrInts("axes")...) }},
	"Expand":     {func(c *vjpCtx) *Value { return c.sumTo(c.dy, 0) }}, // dX = dY summed over the expanded axes
	// dX = Y⊙(dY - Σ dY⊙Y)
	"Softmax": {func(c *vjpCtx) *Value {
		if shifted := c.attentionShiftedCotangent(); shifted != nil {
			return c.Mul(c.y(), shifted)
		}
		return c.softmaxTangent(c.y(), c.dy, c.n.attrInt("axis"))
	}},
	"LogSoftmax": {
		// dX = dY - softmax(X)·Σ dY, with softmax(X) recomputed as exp(Y)
		func(c *vjpCtx) *Value {
			axis := c.n.attrInt("axis")
			return c.Sub(c.dy, c.Mul(c.Exp(c.y()), c.ReduceSum(c.dy, true, axis)))
		},
	},
	"LayerNormalization": {
		// dX = r·(G - mean G - x̂·mean(G⊙x̂)), G = dY⊙γ, with x̂ and r recomputed
		func(c *vjpCtx) *Value {
			xhat, r := c.lnStats(c.n, c.memo)
			return c.lnTangent(xhat, r, c.Mul(c.dy, c.x(1)))
		},
		// dγ = Σ_rows dY⊙x̂
		func(c *vjpCtx) *Value {
			xhat, _ := c.lnStats(c.n, c.memo)
			return c.sumTo(c.Mul(c.dy, xhat), 1)
		},
		func(c *vjpCtx) *Value { return c.sumTo(c.dy, 2) }, // dβ = Σ_rows dY
	},
}

// attentionShiftedCotangent returns dY - Σ dY⊙Y over the last axis for a
// softmax Y whose cotangent comes from one MatMul O = Y·V alone. Then
// dY = dO·Vᵀ, so the row sums are ρ = Σ dO⊙O (Σ_j dY_ij·Y_ij =
// Σ_k dO_ik·O_ik), read from [.., t, d] tensors, and dY - ρ·1ᵀ is one
// MatMul [dO -ρ]·[Vᵀ; 1ᵀ]: no pass over the [.., t, t] attention matrix
// but the MatMul's. Nil when that does not hold or does not pay.
func (c *vjpCtx) attentionShiftedCotangent() *Value {
	y := c.y()
	from := c.rev.from[y]
	if normAxis("Softmax", c.n.attrInt("axis"), y.Rank()) != y.Rank()-1 || len(from) != 1 || from[0] == nil {
		return nil
	}
	mm := from[0]
	o := mm.Outputs[0]
	dO := c.rev.cot[o]
	if mm.Op != "MatMul" || mm.Inputs[0] != y || dO == nil ||
		!slices.Equal(o.shape[:o.Rank()-1], y.shape[:y.Rank()-1]) || o.Dim(-1) >= y.Dim(-1) {
		return nil
	}
	return c.productMinusRows(dO, c.swapLast(mm.Inputs[1]), c.ReduceSum(c.Mul(dO, o), true, -1))
}

// productWithTransposed returns dy·wᵀ, or wᵀ·dy when first is set: a
// MatMul gradient. Transposes are materialised, so when wᵀ holds more
// elements than dy and the product together (the attention matrix against
// a head's values) it forms the product's transpose from dyᵀ instead:
// dy·wᵀ = (w·dyᵀ)ᵀ and wᵀ·dy = (dyᵀ·w)ᵀ.
func (c *vjpCtx) productWithTransposed(dy, w *Value, first bool) *Value {
	rows, cols := dy.Dim(-2), dy.Dim(-1) // dy is [.., rows, cols]
	productSize := dy.Size() / cols * w.Dim(-2)
	if first {
		productSize = dy.Size() / rows * w.Dim(-1)
	}
	if w.Size() <= dy.Size()+productSize {
		if first {
			return c.MatMul(c.swapLast(w), dy)
		}
		return c.MatMul(dy, c.swapLast(w))
	}
	if first {
		return c.swapLast(c.MatMul(c.swapLast(dy), w))
	}
	return c.swapLast(c.MatMul(w, c.swapLast(dy)))
}

// chainVJP is dX = dY⊙f'(X) for the functions of unaryDerivs.
func chainVJP(c *vjpCtx) *Value {
	return c.Mul(c.dy, unaryDerivs[c.n.Op](c.Graph, c.x(0), c.y()))
}

// variadicVJP lists the ops whose single rule serves every input position.
var variadicVJP = map[string]bool{"Concat": true}

// rows flattens v's leading axes: [N, last].
func (c *vjpCtx) rows(v *Value) *Value {
	if v.Rank() == 2 {
		return v
	}
	return c.Reshape(v, -1, v.Dim(-1))
}

func inversePerm(perm []int) []int {
	inv := make([]int, len(perm))
	for i, p := range perm {
		inv[p] = i
	}
	return inv
}

// unreduce broadcasts the cotangent of a ReduceSum or ReduceMean back to the
// operand's shape.
func (c *vjpCtx) unreduce() *Value {
	x := c.x(0)
	kept := x.Shape()
	for _, a := range c.n.attrInts("axes") {
		kept[a] = 1
	}
	dy := c.dy
	if !slices.Equal(dy.shape, kept) {
		dy = c.Reshape(dy, kept...)
	}
	return c.Expand(dy, x.shape...)
}

// unslice scatters dy, the result of Slice node n on a value of shape full,
// into zeros of that shape. Axes taken with step 1 get one Pad at the end. A
// strided axis is multiplied by the transposed 0/1 selection matrix of the
// slice, S[j, start+j·step] = 1, directly when it is one of the last two
// axes and between two Transposes otherwise. The product is exact for finite
// cotangents (each element sums one product and zeros); in ONNX Runtime it
// ran 5× faster than interleaving zeros with Pad and Reshape, because Pad is
// slow on short rows.
func (g *Graph) unslice(dy *Value, n *Node, full []int) *Value {
	axes, starts, steps := n.attrInts("axes"), n.attrInts("starts"), n.attrInts("steps")
	rank := len(full)
	pads := make([]int, 2*rank)
	v := dy
	for i, a := range axes {
		if steps[i] == 1 {
			pads[a], pads[rank+a] = starts[i], full[a]-starts[i]-v.shape[a]
			continue
		}
		s := g.selection(v.dtype, v.shape[a], full[a], starts[i], steps[i])
		switch a {
		case rank - 1:
			v = g.MatMul(v, s)
		case rank - 2:
			v = g.MatMul(g.swapLast(s), v)
		default:
			perm := make([]int, 0, rank) // axis a last
			for k := range rank {
				if k != a {
					perm = append(perm, k)
				}
			}
			perm = append(perm, a)
			v = g.Transpose(g.MatMul(g.Transpose(v, perm...), s), inversePerm(perm)...)
		}
	}
	if slices.ContainsFunc(pads, func(p int) bool { return p != 0 }) {
		v = g.Pad(v, pads...)
	}
	return v
}

// selection returns the [count, full] matrix with a one at (j, start+j·step).
func (g *Graph) selection(dt DType, count, full, start, step int) *Value {
	data := make([]float64, count*full)
	for j := range count {
		data[j*full+start+j*step] = 1
	}
	return g.floatConst(dt, []int{count, full}, data)
}

// convWeightGrad returns the gradient of a Conv's weight (of shape wShape)
// from its input x and output cotangent dy. The sum over the batch and the
// output positions is itself a convolution: of x, with batch and channels
// swapped, by dy as the kernel, with stride and dilation exchanged. With G
// groups, x's channels become C/G batch rows of G·N channels, group-major,
// so a convolution with the same G pairs each output channel with its own
// group; that moves the batch out of dimension 0, which DynamicBatch cannot
// serialise. Its output may be longer than the kernel by the rows a stride
// left unread; they are cut off.
func (g *Graph) convWeightGrad(x, dy *Value, wShape []int, p ConvParams) *Value {
	p = p.normalized()
	swapped := ConvParams{Strides: p.Dilations, Dilations: p.Strides, Pads: p.Pads, Group: p.Group}
	var xt *Value
	switch n, c, h, w := x.Dim(0), x.Dim(1)/p.Group, x.Dim(2), x.Dim(3); {
	case p.Group == 1:
		xt = g.Transpose(x, 1, 0, 2, 3)
	case g.DynamicBatch:
		fail("VJP", "the weight gradient of a Conv with group %d needs a static batch; build graph %q with DynamicBatch off", p.Group, g.Name)
	default:
		xt = g.Reshape(g.Transpose(g.Reshape(x, n, p.Group, c, h, w), 2, 1, 0, 3, 4), c, p.Group*n, h, w)
	}
	dw := g.Conv(xt, g.Transpose(dy, 1, 0, 2, 3), nil, swapped)
	if dw.Dim(2) != wShape[2] || dw.Dim(3) != wShape[3] {
		dw = g.Slice(dw, []int{2, 3}, []int{0, 0}, []int{wShape[2], wShape[3]}, []int{1, 1})
	}
	return g.Transpose(dw, 1, 0, 2, 3)
}
