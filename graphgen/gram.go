package graphgen

import (
	"fmt"
	"math"
)

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
		checkGramGraph(g, params)
		checkPerSample(y, -1)
		g.Scope("gram", func() {
			r := g.backprop([]*Value{y}, nil, params, paramSet(params))
			batches := []int{y.Dim(0)}
			theta = g.gramOfParts([][][]sampleGrad{r.partsOf(g.snapshot(), batches[0], params)}, batches, params, y.dtype)
		})
	})
	return theta, err
}

// PerSampleGramInChunks returns PerSampleGram's Θ for the batch x, computed
// in passes to bound memory: pass c takes rows [bounds[c], bounds[c+1]) of
// x (dimension 0), builds a forward graph of its own on them with forward,
// which returns that pass's y ([rows], one scalar per sample), and sweeps
// back from it. Pass c+1's rows are ordered after pass c's sweep has
// reached its earliest node, so ONNX Runtime, which runs nodes in a
// depth-first order from the outputs, finishes one pass's forward and
// backward before it starts the next, and frees most of its activations:
// only the per-sample gradients (or a linear layer's factors) of every pass
// meet in the final products. A node that two passes reach fails. One pass
// (bounds {0, B}) builds what PerSampleGram does on forward's y.
func PerSampleGramInChunks(x *Value, bounds []int, params []*Value, forward func(pass int, rows *Value) (*Value, error)) (*Value, error) {
	var g *Graph
	err := Catch(func() {
		g = commonGraph("PerSampleGram", []*Value{x}, params)
		checkGramGraph(g, params)
		if x.Rank() == 0 || len(bounds) < 2 || bounds[0] != 0 || bounds[len(bounds)-1] != x.Dim(0) {
			fail("PerSampleGram", "bounds %v must run from 0 to the %d rows of %s", bounds, x.Dim(0), x)
		}
		for c := range len(bounds) - 1 {
			if bounds[c+1] <= bounds[c] {
				fail("PerSampleGram", "bounds %v must increase", bounds)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	passes := len(bounds) - 1
	parts, batches := make([][][]sampleGrad, passes), make([]int, passes)
	owner := map[*Node]int{}
	var token *Value
	for c := range passes {
		rows := x
		err := Catch(func() {
			if passes > 1 {
				rows = g.Slice(x, []int{0}, []int{bounds[c]}, []int{bounds[c+1]}, []int{1})
			}
			if token != nil {
				rows = g.after(rows, token)
			}
		})
		if err != nil {
			return nil, err
		}
		y, err := forward(c, rows)
		if err != nil {
			return nil, err
		}
		err = Catch(func() {
			commonGraph("PerSampleGram", []*Value{x, y}, params)
			batches[c] = bounds[c+1] - bounds[c]
			checkPerSample(y, batches[c])
			pass := func() {
				r := g.backprop([]*Value{y}, nil, params, paramSet(params))
				nodes := g.snapshot()
				r.claim(nodes, owner, c)
				parts[c] = r.partsOf(nodes, batches[c], params)
				if c < passes-1 {
					token = g.settle(params, parts[c], r.earliest(nodes))
				}
			}
			if passes > 1 {
				g.Scope(fmt.Sprintf("gram/pass%d", c), pass)
			} else {
				g.Scope("gram", pass)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	var theta *Value
	err = Catch(func() { g.Scope("gram", func() { theta = g.gramOfParts(parts, batches, params, x.dtype) }) })
	return theta, err
}

func checkGramGraph(g *Graph, params []*Value) {
	if g.DynamicBatch {
		fail("PerSampleGram", "graph %q has DynamicBatch set; the Gram needs the static batch, so build it with DynamicBatch off", g.Name)
	}
	for _, p := range params {
		if p.node != nil {
			fail("PerSampleGram", "%s is a node output; pass parameters or inputs", p)
		}
	}
}

// checkPerSample fails unless y has shape [batch], or [B] for any B when
// batch is -1.
func checkPerSample(y *Value, batch int) {
	if y.Rank() != 1 {
		fail("PerSampleGram", "y %s must have shape [B], one scalar per sample", y)
	}
	if batch >= 0 && y.Dim(0) != batch {
		fail("PerSampleGram", "y %s must have shape [B] with B = %d, one scalar per sample of its pass", y, batch)
	}
}

func paramSet(params []*Value) map[*Value]bool {
	set := make(map[*Value]bool, len(params))
	for _, p := range params {
		set[p] = true
	}
	return set
}

// after returns x as computed only once token is: Where(cond, x, x) with
// cond a comparison on one element of token. The condition is boolean, so
// no derivative flows from the result to token.
func (g *Graph) after(x, token *Value) *Value {
	first := make([]int, token.Rank())
	axes, ones := make([]int, token.Rank()), make([]int, token.Rank())
	for i := range axes {
		axes[i], ones[i] = i, 1
	}
	one := g.Reshape(g.Slice(token, axes, first, ones, ones), 1)
	return g.Where(g.Less(one, g.Scalar(token.dtype, 0)), x, x)
}

// earliest returns the cotangent of the first node output, in build order,
// that the sweep reaches (the last one it completes), or nil when it
// reaches none.
func (r *reverse) earliest(nodes []*Node) *Value {
	for _, n := range nodes {
		if dy := r.cot[n.Outputs[0]]; dy != nil {
			return dy
		}
	}
	return nil
}

// claim records in owner that pass c's sweep reaches each node it reaches,
// and fails if an earlier pass reached one of them.
func (r *reverse) claim(nodes []*Node, owner map[*Node]int, c int) {
	for _, n := range nodes {
		if r.cot[n.Outputs[0]] == nil {
			continue
		}
		if prev, seen := owner[n]; seen {
			fail("PerSampleGram", "node %s is reached from passes %d and %d; each pass needs a forward graph of its own", n.Name, prev, c)
		}
		owner[n] = c
	}
}

// partsOf returns, per parameter, the per-sample gradient parts of its uses
// that the sweep reaches, for a pass of batch samples.
func (r *reverse) partsOf(nodes []*Node, batch int, params []*Value) [][]sampleGrad {
	parts := make([][]sampleGrad, len(params))
	for k, p := range params {
		for _, n := range nodes {
			if r.cot[n.Outputs[0]] == nil {
				continue
			}
			for i, x := range n.Inputs {
				if x == p {
					r.g.Scope("grad/"+n.Name, func() { parts[k] = append(parts[k], r.sampleGradOf(batch, n, i)) })
				}
			}
		}
	}
	return parts
}

// settle turns a pass's parts (per parameter of params) into per-sample gradients wherever those are
// smaller than the forward values and cotangents they come from, and
// returns a token that depends on every part so turned and on last, the
// sweep's final cotangent. Ordering the next pass after the token lets
// that pass's activations be freed before the next one runs; what every
// pass keeps to the end is its per-sample gradients, or a linear layer's
// factors where those are smaller.
func (g *Graph) settle(params []*Value, parts [][]sampleGrad, last *Value) *Value {
	var marks []*Value
	for k, uses := range parts {
		if len(uses) == 0 || numel(params[k].shape) > factorSize(uses) {
			continue
		}
		var rows *Value
		for _, s := range uses {
			rows = addOpt(g, rows, g.explicit(s))
		}
		parts[k] = []sampleGrad{{flat: rows}}
		marks = append(marks, g.Slice(rows, []int{0, 1}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
	}
	if last != nil {
		marks = append(marks, g.Reshape(g.Slice(g.Reshape(last, -1), []int{0}, []int{0}, []int{1}, []int{1}), 1, 1))
	}
	if len(marks) == 0 {
		return nil
	}
	if len(marks) == 1 {
		return marks[0]
	}
	return g.Concat(1, marks...)
}

// factorSize returns the values per sample that a parameter's parts keep
// until its Gram: a linear layer's input and output cotangent, or, for a
// part already per-sample, effectively unbounded (it is settled as is).
func factorSize(uses []sampleGrad) int {
	n := 0
	for _, s := range uses {
		if s.flat != nil {
			return math.MaxInt
		}
		n += s.x.Size()/s.x.Dim(0) + s.dy.Size()/s.dy.Dim(0)
	}
	return n
}

// gramOfParts returns Θ (of dtype dt) over the samples of every pass in
// order: pass c covers batches[c] samples, and parts[c][k] holds the
// parts of params[k]'s uses in it.
func (g *Graph) gramOfParts(parts [][][]sampleGrad, batches []int, params []*Value, dt DType) *Value {
	var theta *Value
	for k, p := range params {
		chunks := make([][]sampleGrad, len(parts)) // [pass][use]
		uses := 0
		for c := range parts {
			chunks[c] = parts[c][k]
			uses += len(chunks[c])
		}
		if uses > 0 {
			g.Scope(p.name, func() { theta = addOpt(g, theta, g.gramOf(p, batches, chunks)) })
		}
	}
	if theta == nil {
		batch := 0
		for _, b := range batches {
			batch += b
		}
		return g.filled(dt, []int{batch, batch}, 0)
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

// gramOf returns Σ over parameter p's uses of its per-sample Gram [B,B],
// from the parts of every chunk ([chunk][use]) of batches[c] samples, in
// batch order.
func (g *Graph) gramOf(p *Value, batches []int, chunks [][]sampleGrad) *Value {
	if s, ok := g.singleLinear(chunks); ok && tokenGramCheaper(s.x.Dim(0), s.x.Dim(1), s.x.Dim(2), s.dy.Dim(2)) {
		return g.tokenGram(s)
	}
	rows := make([]*Value, len(chunks))
	for c, parts := range chunks {
		for _, s := range parts {
			rows[c] = addOpt(g, rows[c], g.explicit(s))
		}
	}
	for c, r := range rows {
		if r == nil { // this chunk never reaches the parameter
			rows[c] = g.filled(p.dtype, []int{batches[c], numel(p.shape)}, 0)
		}
	}
	all := rows[0]
	if len(rows) > 1 {
		all = g.Concat(0, rows...)
	}
	return g.Gemm(all, all, nil, false, true, 1, 1)
}

// singleLinear returns, when the parameter has one linear-layer use in each
// chunk, that use with every chunk's factors joined along the batch.
func (g *Graph) singleLinear(chunks [][]sampleGrad) (sampleGrad, bool) {
	var xs, dys []*Value
	for _, parts := range chunks {
		if len(parts) != 1 || parts[0].x == nil {
			return sampleGrad{}, false
		}
		xs, dys = append(xs, parts[0].x), append(dys, parts[0].dy)
	}
	s := chunks[0][0]
	if len(chunks) > 1 {
		s.x, s.dy = g.Concat(0, xs...), g.Concat(0, dys...)
	}
	return s, true
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
