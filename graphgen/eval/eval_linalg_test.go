package eval

import (
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestLinalgMatchesORT(t *testing.T) {
	matMul := func(a, b []int) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value { return tg.MatMul(tg.in(-1, 1, a...), tg.in(-1, 1, b...)) }
	}
	gemm := func(a, b, c []int, transA, transB bool, alpha, beta float32) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value {
			var bias *graphgen.Value
			if c != nil {
				bias = tg.param(-1, 1, c...)
			}
			return tg.Gemm(tg.in(-1, 1, a...), tg.in(-1, 1, b...), bias, transA, transB, alpha, beta)
		}
	}
	checkAgainstORT(t, []opCase{
		{"MatMul", 4, matMul([]int{3, 4}, []int{4, 5})},
		{"MatMulBatched", 6, matMul([]int{2, 3, 6}, []int{2, 6, 5})},
		{"MatMulBatchOneSide", 4, matMul([]int{2, 3, 4}, []int{4, 5})},
		{"MatMulBatchBroadcast", 3, matMul([]int{4, 1, 2, 3}, []int{5, 3, 7})},
		{"MatMulLong", 64, matMul([]int{5, 64}, []int{64, 3})},
		{"Gemm", 4, gemm([]int{3, 4}, []int{4, 5}, nil, false, false, 1, 1)},
		{"GemmTransA", 4, gemm([]int{4, 3}, []int{4, 5}, []int{5}, true, false, 1, 1)},
		{"GemmTransB", 4, gemm([]int{3, 4}, []int{5, 4}, []int{3, 5}, false, true, 0.7, -1.5)},
		{"GemmTransBoth", 4, gemm([]int{4, 3}, []int{5, 4}, []int{3, 1}, true, true, 2, 0.5)},
		{"GemmScalarBias", 4, gemm([]int{3, 4}, []int{4, 5}, []int{1}, false, false, 1, 3)},
	})
}

func TestMatMulByHand(t *testing.T) {
	g := graphgen.New("hand")
	a := g.Const(graphgen.Float64, []int{2, 2}, []float64{1, 2, 3, 4})
	b := g.Const(graphgen.Float64, []int{2, 2}, []float64{5, 6, 7, 8})
	exactly(t, runOne(t, g.MatMul(a, b), nil), []float64{19, 22, 43, 50})
	// 2·aᵀ·b + 10·[1, -1]
	c := g.Const(graphgen.Float64, []int{2}, []float64{1, -1})
	exactly(t, runOne(t, g.Gemm(a, b, c, true, false, 2, 10), nil), []float64{2*26 + 10, 2*30 - 10, 2*38 + 10, 2*44 - 10})
}
