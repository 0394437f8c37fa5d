package graphgen

// Per-sample Gram matrix of parameter gradients, from one reverse sweep.
//
// The forward graph keeps the batch in dimension 0 of every value, possibly
// times a factor m, sample-major (rows b·m … b·m+m-1 belong to sample b).
// Samples never mix, so the cotangent of every node output with respect to
// Σ_b y[b] is, row by row, the cotangent of that row's own y[b]. A
// parameter's per-sample gradient therefore comes from its consumer's
// forward input and output cotangent, split by sample instead of summed.

// PerSampleGram returns the [B,B] matrix Θ[b,b'] = Σ_p ⟨g_b^p, g_b'^p⟩, where
// g_b^p is the gradient of y[b] (y of shape [B], one scalar per sample) with
// respect to parameter p, summed over p's elements. It appends one reverse
// sweep and then, per parameter, either the per-sample gradients or, for a
// linear layer where it costs fewer multiply-adds, the token Gram form.
//
// Each parameter may be used as the weight of Gemm (with transA 0), as the
// rank-2 right operand of MatMul, as the weight of Conv with group 1, as the
// bias of Gemm or Conv, as the scale or bias of LayerNormalization, or as a
// broadcast operand of Add, Sub or Mul that has no batch axis of its own; it
// may have several such uses. Other uses fail, naming the parameter and the
// op. The graph must not have DynamicBatch set.
func PerSampleGram(y *Value, params []*Value) (theta *Value, err error) {
	err = Catch(func() {
		g := commonGraph("PerSampleGram", []*Value{y}, params)
		if y.Rank() != 1 {
			fail("PerSampleGram", "y %s must have shape [B], one scalar per sample", y)
		}
		if g.DynamicBatch {
			fail("PerSampleGram", "graph %q has DynamicBatch set; the Gram needs the static batch, so build it with DynamicBatch off", g.Name)
		}
		g.Scope("gram", func() { theta = g.perSampleGram(y, params) })
	})
	return theta, err
}

func (g *Graph) perSampleGram(y *Value, params []*Value) *Value {
	batch := y.Dim(0)
	nodes := g.snapshot()
	skip := map[*Value]bool{}
	for _, p := range params {
		if p.node != nil {
			fail("PerSampleGram", "%s is a node output; pass parameters or inputs", p)
		}
		skip[p] = true
	}
	r := g.backprop([]*Value{y}, nil, params, skip)
	var theta *Value
	for _, p := range params {
		var parts []sampleGrad
		for _, n := range nodes {
			if r.cot[n.Outputs[0]] == nil {
				continue
			}
			for i, x := range n.Inputs {
				if x == p {
					g.Scope("grad/"+n.Name, func() { parts = append(parts, r.sampleGradOf(batch, n, i)) })
				}
			}
		}
		if len(parts) > 0 {
			g.Scope(p.name, func() { theta = addOpt(g, theta, g.gramOf(parts)) })
		}
	}
	if theta == nil {
		return g.filled(y.dtype, []int{batch, batch}, 0)
	}
	return theta
}

// sampleGrad is one use's part of a parameter's per-sample gradient: either
// flat, [B, numel(p)] in p's layout, or for a linear layer the factors x
// [B,T,k] and dy [B,T,n] of scale·dy_bᵀ·x_b, a [n,k] matrix, or its
// transpose when kFirst (p stored as [k,n]).
type sampleGrad struct {
	flat   *Value
	x, dy  *Value
	scale  float64
	kFirst bool
}

// sampleGradOf returns the per-sample gradient part of input i of node n.
func (r *reverse) sampleGradOf(batch int, n *Node, i int) sampleGrad {
	g, c := r.g, r.ctx(n)
	p, dy := n.Inputs[i], c.dy
	if dy.Rank() == 0 || dy.Dim(0)%batch != 0 {
		fail("PerSampleGram", "%s uses parameter %s to make %s, whose dimension 0 is not a multiple of the batch %d", n.Name, p, dy, batch)
	}
	perSample := func(v *Value, k int) *Value { return g.Reshape(v, batch, -1, k) } // [B, T, k]
	sumTo := func(v *Value) sampleGrad { return sampleGrad{flat: g.perSampleSumTo(v, p, batch)} }
	switch {
	case n.Op == "Gemm" && i == 1 && !c.flag("transA"):
		return sampleGrad{x: perSample(n.Inputs[0], n.Inputs[0].Dim(1)), dy: perSample(dy, dy.Dim(1)),
			scale: n.attrFloat("alpha"), kFirst: !c.flag("transB")}
	case n.Op == "MatMul" && i == 1 && p.Rank() == 2:
		return sampleGrad{x: perSample(n.Inputs[0], p.Dim(0)), dy: perSample(dy, p.Dim(1)), scale: 1, kFirst: true}
	case n.Op == "Conv" && i == 1:
		if group := n.convParams().Group; group > 1 {
			fail("PerSampleGram", "parameter %s is the weight of %s, a Conv with group %d; per-sample gradients cover group 1 only", p, n.Name, group)
		}
		cols := g.unfold(n.Inputs[0], p.shape, n.convParams())
		positions := g.Transpose(g.Reshape(dy, dy.Dim(0), dy.Dim(1), -1), 0, 2, 1) // [N, P·Q, O]
		return sampleGrad{x: perSample(cols, cols.Dim(2)), dy: perSample(positions, dy.Dim(1)), scale: 1}
	case n.Op == "Conv" && i == 2:
		return sampleGrad{flat: g.ReduceSum(g.Reshape(dy, batch, -1, dy.Dim(1), dy.Dim(2)*dy.Dim(3)), false, 1, 3)}
	case n.Op == "Gemm" && i == 2:
		return sumTo(g.scaled(dy, n.attrFloat("beta")))
	case n.Op == "LayerNormalization" && i == 1:
		xhat, _ := c.lnStats(n, c.memo)
		return sumTo(g.Mul(dy, xhat))
	case n.Op == "LayerNormalization" && i == 2, n.Op == "Add", n.Op == "Sub" && i == 0:
		return sumTo(dy)
	case n.Op == "Sub":
		return sumTo(g.Neg(dy))
	case n.Op == "Mul":
		return sumTo(g.Mul(dy, n.Inputs[1-i]))
	}
	fail("PerSampleGram", "parameter %s is input %d of %s node %s; per-sample gradients cover Gemm weights (transA 0), rank-2 right MatMul operands, Conv weights (group 1), Gemm and Conv biases, LayerNormalization scale and bias, and Add/Sub/Mul operands without a batch axis",
		p, i, n.Op, n.Name)
	return sampleGrad{}
}

// perSampleSumTo sums v (batch × m in dimension 0) over the axes along which
// parameter p was broadcast, sample by sample: [B, numel(p)].
func (g *Graph) perSampleSumTo(v, p *Value, batch int) *Value {
	shape := p.shape
	lead := v.Rank() - len(shape)
	if lead == 0 && shape[0] != 1 {
		fail("PerSampleGram", "parameter %s spans dimension 0 of %s, the batch; a per-sample gradient needs it broadcast there", p, v)
	}
	split := g.Reshape(v, append([]int{batch, -1}, v.shape[1:]...)...)
	axes := []int{1}
	for i := 1; i < v.Rank(); i++ {
		if i < lead || shape[i-lead] == 1 {
			axes = append(axes, i+1)
		}
	}
	return g.Reshape(g.ReduceSum(split, false, axes...), batch, numel(shape))
}

// gramOf returns Σ over parts' parameter of the per-sample Gram [B,B].
func (g *Graph) gramOf(parts []sampleGrad) *Value {
	if s := parts[0]; len(parts) == 1 && s.x != nil && tokenGramCheaper(s.x.Dim(0), s.x.Dim(1), s.x.Dim(2), s.dy.Dim(2)) {
		return g.tokenGram(s)
	}
	var sum *Value
	for _, s := range parts {
		sum = addOpt(g, sum, g.explicit(s))
	}
	return g.Gemm(sum, sum, nil, false, true, 1, 1)
}

// tokenGramCheaper compares the multiply-adds of the two ways to the Gram of
// a linear layer with batch b, t tokens per sample, k inputs and n outputs:
// the token Gram Σ_{t,t'} (X Xᵀ)⊙(DY DYᵀ) over all b·t rows, against the
// per-sample gradients DY_bᵀX_b and their Gram.
func tokenGramCheaper(b, t, k, n int) bool {
	rows := b * t
	return rows*rows*(k+n+1) < b*t*k*n+b*b*k*n
}

// tokenGram returns Θ[b,b'] = scale²·Σ_{t,t'} (X_b X_b'ᵀ)[t,t']·(DY_b DY_b'ᵀ)[t,t'].
func (g *Graph) tokenGram(s sampleGrad) *Value {
	batch, tokens := s.x.Dim(0), s.x.Dim(1)
	x, dy := g.Reshape(s.x, -1, s.x.Dim(2)), g.Reshape(s.dy, -1, s.dy.Dim(2))
	m := g.Mul(g.Gemm(x, x, nil, false, true, 1, 1), g.Gemm(dy, dy, nil, false, true, 1, 1))
	return g.scaled(g.ReduceSum(g.Reshape(m, batch, tokens, batch, tokens), false, 1, 3), s.scale*s.scale)
}

// explicit returns the per-sample gradients of a part, [B, numel(p)].
func (g *Graph) explicit(s sampleGrad) *Value {
	if s.flat != nil {
		return s.flat
	}
	per := g.MatMul(g.Transpose(s.dy, 0, 2, 1), s.x) // [B,n,k]
	if s.kFirst {
		per = g.MatMul(g.Transpose(s.x, 0, 2, 1), s.dy) // [B,k,n]
	}
	return g.scaled(g.Reshape(per, s.x.Dim(0), -1), s.scale)
}

// unfold returns the patches a Conv with weight shape wShape reads from x
// (N×C×H×W): [N, P·Q, C·kh·kw], channel-major like the weight. It is one
// Conv with group C and a constant one-hot weight [C·kh·kw, 1, kh, kw] at
// the same strides, dilations and pads, whose output channel c·kh·kw +
// i·kw + j copies input channel c at kernel offset (i, j). Only its forward
// values are used: the weight is a constant, so no gradient is taken with
// respect to it, and the reverse sweep that PerSampleGram builds precedes
// it.
func (g *Graph) unfold(x *Value, wShape []int, p ConvParams) *Value {
	c, kk := x.Dim(1), wShape[2]*wShape[3]
	oneHot := make([]float64, c*kk*kk)
	for o := range c * kk {
		oneHot[o*kk+o%kk] = 1
	}
	w := g.floatConst(x.dtype, []int{c * kk, 1, wShape[2], wShape[3]}, oneHot)
	p.Group = c
	patches := g.Conv(x, w, nil, p) // [N, C·kh·kw, P, Q]
	return g.Transpose(g.Reshape(patches, x.Dim(0), c*kk, -1), 0, 2, 1)
}

// addOpt returns a + b, or b when a is nil.
func addOpt(g *Graph, a, b *Value) *Value {
	if a == nil {
		return b
	}
	return g.Add(a, b)
}
