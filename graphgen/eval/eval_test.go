package eval

import (
	"strings"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// TestBlockMatchesORT chains many ops as a patch-embedding plus attention
// block does, with parameters fed as inputs.
func TestBlockMatchesORT(t *testing.T) {
	tg := newTestGraph("block", 7)
	tg.ParamsAsInputs = true
	img := tg.in(-1, 1, 2, 3, 8, 8)
	w := tg.in(-0.5, 0.5, 8, 3, 4, 4)
	tokens := tg.Transpose(tg.Reshape(tg.Conv(img, w, nil, graphgen.ConvParams{Strides: [2]int{4, 4}}), 2, 8, 4), 0, 2, 1)
	h := tg.LayerNorm(tokens, tg.in(0.5, 1.5, 8), tg.in(-0.1, 0.1, 8), 1e-5)
	qkv := tg.MatMul(h, tg.in(-0.5, 0.5, 8, 24))
	q := tg.Slice(qkv, []int{2}, []int{0}, []int{8}, []int{1})
	k := tg.Slice(qkv, []int{2}, []int{8}, []int{16}, []int{1})
	v := tg.Slice(qkv, []int{2}, []int{16}, []int{24}, []int{1})
	att := tg.Softmax(tg.Scale(tg.MatMul(q, tg.Transpose(k, 0, 2, 1)), 0.35), -1)
	y := tg.Add(tokens, tg.GELU(tg.MatMul(att, v)))
	tg.Output("y", tg.ReduceMean(y, false, 1))
	tg.Output("tokens", y)
	want := runORT(t, tg.Graph, tg.feeds)
	got, err := Run(tg.Outputs(), tg.feeds)
	if err != nil {
		t.Fatal(err)
	}
	// 48-term convolutions feed 8-term layer norm and matmuls.
	compare(t, got[0], want[0], 48+3*8)
	compare(t, got[1], want[1], 48+3*8)
}

func TestRunFeedsAndData(t *testing.T) {
	g := graphgen.New("feeds")
	x := g.Input("x", graphgen.Float32, 2)
	p := g.Param("p", graphgen.Float32, []int{2}, []float32{0.5, 0.25})
	y := g.Mul(x, p)
	feeds := map[*graphgen.Value][]float64{x: {2, 4}}
	exactly(t, runOne(t, y, feeds), []float64{1, 1})
	feeds[p] = []float64{3, 5}
	exactly(t, runOne(t, y, feeds), []float64{6, 20})
	// The result does not alias the feed.
	out := runOne(t, x, feeds)
	out[0] = 99
	if feeds[x][0] != 2 {
		t.Fatal("Run returned the feed's own slice")
	}
}

func TestRunEvaluatesOnlyWhatOutputsNeed(t *testing.T) {
	g := graphgen.New("needed")
	g.ParamsAsInputs = true
	x := g.Input("x", graphgen.Float32, 3)
	unfed := g.Param("unfed", graphgen.Float32, []int{3}, nil)
	g.Exp(unfed)
	bogus := g.Neg(x)
	bogus.Producer().Op = "Bogus"
	y := g.Sqrt(x)
	exactly(t, runOne(t, y, map[*graphgen.Value][]float64{x: {1, 4, 9}}), []float64{1, 2, 3})
}

func TestRunErrors(t *testing.T) {
	g := graphgen.New("errors")
	g.ParamsAsInputs = true
	x := g.Input("x", graphgen.Float32, 2, 3)
	w := g.Param("w", graphgen.Float32, []int{3, 4}, nil)
	mm := g.MatMul(x, w)
	bogus := g.Neg(x)
	bogus.Producer().Op = "Bogus"
	wrongShape := g.Reshape(x, 3, 2)
	wrongShape.Producer().Attrs["shape"] = []int64{6}
	badCast := g.Cast(x, graphgen.Float32)
	badCast.Producer().Attrs["to"] = int64(11)
	other := graphgen.New("other").Input("o", graphgen.Float32, 1)
	ok := map[*graphgen.Value][]float64{x: make([]float64, 6), w: make([]float64, 12)}
	cases := []struct {
		name    string
		outputs []*graphgen.Value
		feeds   map[*graphgen.Value][]float64
		want    []string
	}{
		{"missing feed", []*graphgen.Value{mm}, map[*graphgen.Value][]float64{x: make([]float64, 6)}, []string{mm.Producer().Name, "MatMul", "w[3 4]", "no data and no feed"}},
		{"unknown op", []*graphgen.Value{bogus}, ok, []string{bogus.Producer().Name, "Bogus", "not supported"}},
		{"shape mismatch", []*graphgen.Value{wrongShape}, ok, []string{"Reshape", "[6]", "declared"}},
		{"feed size", []*graphgen.Value{mm}, map[*graphgen.Value][]float64{x: make([]float64, 5)}, []string{"x", "5 elements", "needs 6"}},
		{"feed of node output", []*graphgen.Value{mm}, map[*graphgen.Value][]float64{mm: make([]float64, 8)}, []string{"node output"}},
		{"cast type", []*graphgen.Value{badCast}, ok, []string{"Cast", "to=11", "declared"}},
		{"two graphs", []*graphgen.Value{mm, other}, ok, []string{"different graphs"}},
		{"no outputs", nil, ok, []string{"no outputs"}},
	}
	for _, c := range cases {
		_, err := Run(c.outputs, c.feeds)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, s)
			}
		}
	}
}

func BenchmarkRunConvMatMul(b *testing.B) {
	tg := newTestGraph("bench", 1)
	img := tg.in(-1, 1, 1, 3, 32, 32)
	feat := tg.Conv(img, tg.param(-1, 1, 16, 3, 3, 3), tg.param(-1, 1, 16), graphgen.ConvParams{Strides: [2]int{2, 2}, Pads: [4]int{1, 1, 1, 1}})
	tokens := tg.Transpose(tg.Reshape(feat, 16, 256), 1, 0)
	y := tg.Softmax(tg.MatMul(tokens, tg.param(-1, 1, 16, 32)), -1)
	outputs := []*graphgen.Value{y}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(outputs, tg.feeds); err != nil {
			b.Fatal(err)
		}
	}
}
