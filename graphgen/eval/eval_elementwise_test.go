package eval

import (
	"math"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestElementwiseMatchesORT(t *testing.T) {
	unaries := []struct {
		name   string
		lo, hi float64
		f      func(*graphgen.Graph, *graphgen.Value) *graphgen.Value
	}{
		{"Neg", -2, 2, (*graphgen.Graph).Neg},
		{"Exp", -3, 3, (*graphgen.Graph).Exp},
		{"Log", 0.05, 5, (*graphgen.Graph).Log},
		{"Sqrt", 0.01, 5, (*graphgen.Graph).Sqrt},
		{"Tanh", -3, 3, (*graphgen.Graph).Tanh},
		{"Erf", -3, 3, (*graphgen.Graph).Erf},
		{"Reciprocal", 0.2, 3, (*graphgen.Graph).Reciprocal},
		{"Sin", -4, 4, (*graphgen.Graph).Sin},
		{"Cos", -4, 4, (*graphgen.Graph).Cos},
		{"Identity", -2, 2, (*graphgen.Graph).Identity},
		{"GELU", -3, 3, (*graphgen.Graph).GELU},
	}
	var cases []opCase
	for _, u := range unaries {
		cases = append(cases, opCase{u.name, 1, func(tg *testGraph) *graphgen.Value {
			return u.f(tg.Graph, tg.in(u.lo, u.hi, 2, 3, 4))
		}})
	}
	binaries := []struct {
		name               string
		a, b               []int
		loA, hiA, loB, hiB float64
		f                  func(*graphgen.Graph, *graphgen.Value, *graphgen.Value) *graphgen.Value
	}{
		{"Add", []int{2, 3, 4}, []int{4}, -1, 1, -1, 1, (*graphgen.Graph).Add},
		{"Sub", []int{3, 1}, []int{1, 5}, -1, 1, -1, 1, (*graphgen.Graph).Sub},
		{"Mul", []int{2, 1, 4}, []int{3, 1}, -1, 1, -1, 1, (*graphgen.Graph).Mul},
		{"Div", []int{2, 3}, []int{2, 3}, -1, 1, 0.5, 2, (*graphgen.Graph).Div},
		{"DivBroadcast", []int{4, 1, 3}, []int{1, 2, 1}, -1, 1, -2, -0.5, (*graphgen.Graph).Div},
		{"Pow", []int{3, 4}, []int{3, 4}, 0.2, 3, -2, 2, (*graphgen.Graph).Pow},
		{"PowBroadcast", []int{2, 3, 4}, []int{3, 1}, 0.2, 3, -2, 2, (*graphgen.Graph).Pow},
		{"Max", []int{2, 3, 4}, []int{3, 4}, -1, 1, -1, 1, (*graphgen.Graph).Max},
		{"MaxBroadcastBoth", []int{5, 1}, []int{1, 6}, -1, 1, -1, 1, (*graphgen.Graph).Max},
	}
	for _, b := range binaries {
		cases = append(cases, opCase{b.name, 1, func(tg *testGraph) *graphgen.Value {
			return b.f(tg.Graph, tg.in(b.loA, b.hiA, b.a...), tg.in(b.loB, b.hiB, b.b...))
		}})
	}
	cases = append(cases,
		opCase{"ScaleAndAddScalar", 1, func(tg *testGraph) *graphgen.Value {
			return tg.AddScalar(tg.Scale(tg.in(-1, 1, 3, 4), -2.5), 0.75)
		}},
		opCase{"ParamOperand", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Mul(tg.in(-1, 1, 2, 5), tg.param(-1, 1, 5))
		}},
		opCase{"CastToInt64AndBack", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Cast(tg.Cast(tg.in(-5, 5, 4, 6), graphgen.Int64), graphgen.Float32)
		}},
		opCase{"CastToFloat64", 1, func(tg *testGraph) *graphgen.Value {
			return tg.Cast(tg.Exp(tg.in(-1, 1, 7)), graphgen.Float64)
		}},
	)
	checkAgainstORT(t, cases)
}

func TestElementwiseByHand(t *testing.T) {
	g := graphgen.New("hand")
	a := g.Input("a", graphgen.Float64, 2, 2)
	b := g.Input("b", graphgen.Float64, 2)
	feeds := map[*graphgen.Value][]float64{a: {1, 2, 3, 4}, b: {10, 100}}
	exactly(t, runOne(t, g.Add(a, b), feeds), []float64{11, 102, 13, 104})
	exactly(t, runOne(t, g.Erf(b), map[*graphgen.Value][]float64{b: {0, 1}}), []float64{0, 0.8427007929497149})
	// Integer division truncates toward zero, as ONNX Runtime's int64 Div.
	i := g.Const(graphgen.Int64, []int{3}, []int64{7, -7, 6})
	exactly(t, runOne(t, g.Div(i, g.Scalar(graphgen.Int64, 2)), nil), []float64{3, -3, 3})
	// Float32 values stay unrounded float64.
	exactly(t, runOne(t, g.Cast(g.Div(g.Cast(a, graphgen.Float32), g.Scalar(graphgen.Float32, 3)), graphgen.Float64), feeds), []float64{1.0 / 3, 2.0 / 3, 1, 4.0 / 3})
	if got := runOne(t, g.Sqrt(b), map[*graphgen.Value][]float64{b: {-1, 4}}); !math.IsNaN(got[0]) || got[1] != 2 {
		t.Fatalf("sqrt(-1, 4) = %v, want NaN, 2", got)
	}
}
