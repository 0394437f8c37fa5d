package vit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
)

// diffFixture is a whole As-ViT graph in float64 with every parameter and
// the input fed, plus a cotangent for the output and a tangent for every
// input, for checking VJP and JVP against finite differences.
type diffFixture struct {
	g        *graphgen.Graph
	xs       []*graphgen.Value // parameters, then the image
	tangents []*graphgen.Value
	y, cot   *graphgen.Value
	feeds    map[*graphgen.Value][]float64
}

func newDiffFixture(t *testing.T, arch string, opts ForwardOptions, seed uint64) *diffFixture {
	t.Helper()
	m := mustModel(t, arch, 32, 5)
	g := graphgen.New("diff")
	g.ParamsAsInputs = true
	params, err := m.DeclareParams(g, graphgen.Float64, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := g.Input("x", graphgen.Float64, 2, 3, 32, 32)
	outs, err := m.Forward(g, x, params, opts)
	if err != nil {
		t.Fatal(err)
	}
	f := &diffFixture{g: g, xs: append(params, x), y: outs[0], feeds: map[*graphgen.Value][]float64{}}
	f.cot = g.Input("cot", graphgen.Float64, f.y.Shape()...)
	r := rand.New(rand.NewPCG(seed, 3))
	weights := m.Init(seed)
	for k, p := range params {
		f.feeds[p] = toF64(weights[k])
	}
	f.feeds[x] = randomF64(r, x.Size(), 1)
	f.feeds[f.cot] = randomF64(r, f.y.Size(), 1)
	for _, v := range f.xs {
		tv := g.Input("t"+v.Name(), graphgen.Float64, v.Shape()...)
		f.tangents = append(f.tangents, tv)
		// Tangents scaled to each tensor's size keep every direction relevant.
		f.feeds[tv] = randomF64(r, v.Size(), 0.02)
	}
	return f
}

func toF64(w []float32) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = float64(v)
	}
	return out
}

func randomF64(r *rand.Rand, n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = scale * r.NormFloat64()
	}
	return out
}

// directional returns ⟨cot, y(x + h·t)⟩ evaluated in float64.
func (f *diffFixture) directional(t *testing.T, h float64) float64 {
	t.Helper()
	feeds := map[*graphgen.Value][]float64{}
	for k, v := range f.feeds {
		feeds[k] = v
	}
	for i, x := range f.xs {
		moved := make([]float64, len(f.feeds[x]))
		for j := range moved {
			moved[j] = f.feeds[x][j] + h*f.feeds[f.tangents[i]][j]
		}
		feeds[x] = moved
	}
	out, err := eval.Run([]*graphgen.Value{f.y}, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return dot(out[0], f.feeds[f.cot])
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// On whole As-ViT graphs, ⟨c, J·t⟩ from the JVP, ⟨Jᵀ·c, t⟩ from the VJP and
// the central difference of ⟨c, y⟩ along t must agree. The difference uses
// h = 1e-4 in float64: truncation O(h²·y⁽³⁾) ≈ 1e-8 relative and rounding
// O(ε/h) ≈ 1e-12, so 1e-6 relative leaves margin; JVP and VJP compute the
// same number by different sums, so they agree to 1e-9.
func TestWholeGraphDerivatives(t *testing.T) {
	cases := []struct {
		arch string
		opts ForwardOptions
	}{
		{"8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|8,8", ForwardOptions{Output: Features}},
		{"5,4,2,2|3,2,3,1|2,1,4,1|3,1,5,1|16,8", ForwardOptions{Output: Logits}},
		{"7,2,5,1|2,4,2,1|3,2,3,1|4,1,2,2|8,16", ForwardOptions{Output: Features, NoNorms: true}},
	}
	for i, c := range cases {
		f := newDiffFixture(t, c.arch, c.opts, uint64(i+1))
		grads, err := graphgen.VJP([]*graphgen.Value{f.y}, []*graphgen.Value{f.cot}, f.xs)
		if err != nil {
			t.Fatal(err)
		}
		jvp, err := graphgen.JVP(f.xs, f.tangents, []*graphgen.Value{f.y})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := eval.Run(append(grads, jvp[0]), f.feeds)
		if err != nil {
			t.Fatal(err)
		}
		viaVJP := 0.0
		for k := range f.xs {
			viaVJP += dot(outs[k], f.feeds[f.tangents[k]])
		}
		viaJVP := dot(outs[len(outs)-1], f.feeds[f.cot])
		const h = 1e-4
		viaFD := (f.directional(t, h) - f.directional(t, -h)) / (2 * h)
		scale := math.Max(math.Abs(viaFD), 1e-3)
		if math.Abs(viaVJP-viaFD) > 1e-6*scale || math.Abs(viaJVP-viaFD) > 1e-6*scale {
			t.Fatalf("%s %+v: VJP %.12g, JVP %.12g, finite difference %.12g", c.arch, c.opts, viaVJP, viaJVP, viaFD)
		}
		if math.Abs(viaVJP-viaJVP) > 1e-9*scale {
			t.Fatalf("%s: ⟨Jᵀc, t⟩ = %.15g but ⟨c, Jt⟩ = %.15g", c.arch, viaVJP, viaJVP)
		}
	}
}
