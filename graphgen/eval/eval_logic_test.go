package eval

import (
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestLogicOpsMatchORT(t *testing.T) {
	pair := func(tg *testGraph) (*graphgen.Value, *graphgen.Value) {
		return tg.in(-1, 1, 2, 3, 4), tg.in(-1, 1, 3, 1)
	}
	cmp := func(f func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value { a, b := pair(tg); return f(tg, a, b) }
	}
	checkAgainstORT(t, []opCase{
		{"Sigmoid", 1, func(tg *testGraph) *graphgen.Value { return tg.Sigmoid(tg.in(-8, 8, 3, 5)) }},
		{"Min", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value { return tg.Min(a, b) })},
		{"Less", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value { return tg.Less(a, b) })},
		{"LessOrEqual", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value { return tg.LessOrEqual(a, b) })},
		{"Greater", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value { return tg.Greater(a, b) })},
		{"GreaterOrEqual", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value { return tg.GreaterOrEqual(a, b) })},
		// Equality holds where a cell is the maximum of its window, and
		// between a value and itself: both exactly, in float32 and float64.
		{"EqualPeaks", 1, func(tg *testGraph) *graphgen.Value {
			x := tg.in(-1, 1, 1, 2, 5, 5)
			return tg.Equal(x, tg.MaxPool(x, [2]int{3, 3}, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}}))
		}},
		{"EqualBool", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value {
			return tg.Equal(tg.Less(a, b), tg.Greater(b, tg.Scalar(graphgen.Float32, 0)))
		})},
		{"AndOrNot", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value {
			pos := tg.Greater(a, tg.Scalar(graphgen.Float32, 0))
			return tg.Or(tg.And(pos, tg.Less(a, b)), tg.Not(tg.Less(b, tg.Scalar(graphgen.Float32, 0.5))))
		})},
		{"Where", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value {
			return tg.Where(tg.Less(b, tg.Scalar(graphgen.Float32, 0)), a, tg.Neg(b))
		})},
		{"WhereCastInt", 1, cmp(func(tg *testGraph, a, b *graphgen.Value) *graphgen.Value {
			c := tg.Cast(tg.Less(a, b), graphgen.Int64)
			return tg.Where(tg.Greater(a, b), c, tg.Scalar(graphgen.Int64, -1))
		})},
		{"IntDiv", 1, func(tg *testGraph) *graphgen.Value {
			i := tg.Cast(tg.Scale(tg.in(0, 1, 4, 5), 100), graphgen.Int64)
			return tg.Div(i, tg.Scalar(graphgen.Int64, 7))
		}},
	})
}

func TestLogicOpsByHand(t *testing.T) {
	g := graphgen.New("hand")
	a := g.Const(graphgen.Float64, []int{4}, []float64{-1, 0, 2, 3})
	b := g.Const(graphgen.Float64, []int{4}, []float64{0, 0, 5, 1})
	exactly(t, runOne(t, g.GreaterOrEqual(a, b), nil), []float64{0, 1, 0, 1})
	exactly(t, runOne(t, g.Where(g.Less(a, b), a, b), nil), []float64{-1, 0, 2, 1})
	exactly(t, runOne(t, g.Min(a, b), nil), []float64{-1, 0, 2, 1})
	i := g.Const(graphgen.Int64, []int{4}, []int64{7, -7, 9, 0})
	exactly(t, runOne(t, g.Div(i, g.Scalar(graphgen.Int64, 2)), nil), []float64{3, -3, 4, 0})
}
