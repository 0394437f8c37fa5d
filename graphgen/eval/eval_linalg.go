package eval

import (
	"fmt"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// matMul is numpy's matmul: leading dimensions broadcast, a rank-1 a gains a
// leading 1 and a rank-1 b a trailing 1, removed again from the result.
func matMul(_ *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 0); err != nil {
		return nil, err
	}
	a, b := *in[0], *in[1]
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return nil, fmt.Errorf("operands %v and %v must have rank ≥ 1", a.shape, b.shape)
	}
	vecA, vecB := len(a.shape) == 1, len(b.shape) == 1
	if vecA {
		a.shape = []int{1, a.shape[0]}
	}
	if vecB {
		b.shape = []int{b.shape[0], 1}
	}
	ra, rb := len(a.shape), len(b.shape)
	m, k, k2, p := a.shape[ra-2], a.shape[ra-1], b.shape[rb-2], b.shape[rb-1]
	if k != k2 {
		return nil, fmt.Errorf("inner dimensions differ: %v × %v", a.shape, b.shape)
	}
	batch, err := broadcastShape(a.shape[:ra-2], b.shape[:rb-2])
	if err != nil {
		return nil, err
	}
	ea, err := expand(&a, append(slices.Clone(batch), m, k))
	if err != nil {
		return nil, err
	}
	eb, err := expand(&b, append(slices.Clone(batch), k, p))
	if err != nil {
		return nil, err
	}
	out := make([]float64, numel(batch)*m*p)
	for bi := range numel(batch) {
		matMulInto(out[bi*m*p:], ea.data[bi*m*k:], eb.data[bi*k*p:], m, k, p)
	}
	shape := slices.Clone(batch)
	if !vecA {
		shape = append(shape, m)
	}
	if !vecB {
		shape = append(shape, p)
	}
	return &tensor{shape: shape, data: out}, nil
}

// matMulInto sets c (m×p) to a (m×k) times b (k×p), all row-major.
func matMulInto(c, a, b []float64, m, k, p int) {
	for i := range m {
		for j := range p {
			s := 0.0
			for l := range k {
				s += a[i*k+l] * b[l*p+j]
			}
			c[i*p+j] = s
		}
	}
}

// gemm is alpha·A'·B' + beta·C, where A' and B' are A and B transposed when
// transA and transB are set and C broadcasts to the result.
func gemm(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 1); err != nil {
		return nil, err
	}
	transA, err := intAttr(n, "transA", 0)
	if err != nil {
		return nil, err
	}
	transB, err := intAttr(n, "transB", 0)
	if err != nil {
		return nil, err
	}
	alpha, err := floatAttr(n, "alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := floatAttr(n, "beta", 1)
	if err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("operands %v and %v must have rank 2", a.shape, b.shape)
	}
	if transA != 0 {
		a = gather(a.data, []int{a.shape[1], a.shape[0]}, []int{1, a.shape[1]}, 0)
	}
	if transB != 0 {
		b = gather(b.data, []int{b.shape[1], b.shape[0]}, []int{1, b.shape[1]}, 0)
	}
	m, k, p := a.shape[0], a.shape[1], b.shape[1]
	if b.shape[0] != k {
		return nil, fmt.Errorf("inner dimensions differ: %v × %v after transA=%d transB=%d", a.shape, b.shape, transA, transB)
	}
	out := make([]float64, m*p)
	matMulInto(out, a.data, b.data, m, k, p)
	for i := range out {
		out[i] *= alpha
	}
	if c := optional(in, 2); c != nil {
		ec, err := expand(c, []int{m, p})
		if err != nil {
			return nil, fmt.Errorf("bias: %w", err)
		}
		for i := range out {
			out[i] += beta * ec.data[i]
		}
	}
	return &tensor{shape: []int{m, p}, data: out}, nil
}
