package graphgen

// MatMul returns the numpy-style matrix product of a and b (both rank ≥ 2;
// leading dimensions broadcast).
func (g *Graph) MatMul(a, b *Value) *Value {
	const op = "MatMul"
	dt := sameDType(op, a, b)
	if a.Rank() < 2 || b.Rank() < 2 {
		fail(op, "operands %s and %s must have rank ≥ 2", a, b)
	}
	if a.Dim(-1) != b.Dim(-2) {
		fail(op, "inner dimensions differ: %s × %s", a, b)
	}
	batch := BroadcastShape(op, a.shape[:a.Rank()-2], b.shape[:b.Rank()-2])
	shape := append(batch, a.Dim(-2), b.Dim(-1))
	return g.op1(op, []*Value{a, b}, nil, dt, shape)
}

// Gemm returns alpha·op(a)·op(b) + beta·c for rank-2 a and b, where op
// transposes when the flag is set; c may be nil or broadcast to the result.
func (g *Graph) Gemm(a, b, c *Value, transA, transB bool, alpha, beta float32) *Value {
	const op = "Gemm"
	dt := sameDType(op, a, b)
	if a.Rank() != 2 || b.Rank() != 2 {
		fail(op, "operands %s and %s must have rank 2", a, b)
	}
	m, k := a.Dim(0), a.Dim(1)
	if transA {
		m, k = k, m
	}
	k2, n := b.Dim(0), b.Dim(1)
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		fail(op, "inner dimensions differ: %s × %s (transA=%v transB=%v)", a, b, transA, transB)
	}
	inputs := []*Value{a, b}
	if c != nil {
		sameDType(op, a, c)
		if out := BroadcastShape(op, []int{m, n}, c.shape); out[0] != m || out[1] != n || c.Rank() > 2 {
			fail(op, "bias %s does not broadcast to [%d %d]", c, m, n)
		}
		inputs = append(inputs, c)
	}
	attrs := map[string]any{"transA": b2i(transA), "transB": b2i(transB), "alpha": alpha, "beta": beta}
	return g.op1(op, inputs, attrs, dt, []int{m, n})
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
