package complexity

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/vit"
)

// These tests run the graphs in float64 with the reference interpreter, so
// that they can be held to tolerances float32 cannot meet.

// tinySettings and tinyModel: a network with overlapping kernels and
// windowed attention that the interpreter evaluates in well under a second.
func tinySettings() Settings {
	s := smallSettings()
	s.Batch, s.CurvePoints = 3, 5
	return s
}

func tinyModel(t *testing.T, s Settings) vit.Model {
	t.Helper()
	m, err := vit.New(vit.NewSpec(parse(t, "6,2,3|3,2,2|4,2,4|2,1,5|8,8"), s.Image, s.Classes))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// paramFeeds feeds m's parameters, drawn from seed, to the graph's params.
func paramFeeds(m vit.Model, params []*graphgen.Value, seed uint64) map[*graphgen.Value][]float64 {
	feeds := map[*graphgen.Value][]float64{}
	for k, w := range m.Init(seed) {
		feeds[params[k]] = toFloat64(w)
	}
	return feeds
}

// circle returns the n×N points r(u0 cos θ + u1 sin θ) at the given angles.
func circle(b Basis, radius float64, angles []float64) []float64 {
	size := len(b.U0)
	x := make([]float64, len(angles)*size)
	for k, th := range angles {
		for i := range size {
			x[k*size+i] = radius * (b.U0[i]*math.Cos(th) + b.U1[i]*math.Sin(th))
		}
	}
	return x
}

// The JVP branch of the fast graph against central finite differences of
// the network's features along θ, computed from a separately built forward
// graph (vit.Model.Graph with LayerNorms off).
func TestLengthMatchesFiniteDifferences(t *testing.T) {
	s := tinySettings()
	model := tinyModel(t, s)
	mg, err := buildFast(model, s, graphgen.Float64)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := model.Graph(vit.GraphConfig{Batch: s.CurvePoints, DType: graphgen.Float64, Weights: model.Init(4),
		ForwardOptions: vit.ForwardOptions{Output: vit.Features, NoNorms: true}})
	if err != nil {
		t.Fatal(err)
	}
	basis := drawBasis(rand.New(rand.NewPCG(1, 2)), s.inputSize())
	th := thetas(s.CurvePoints)
	for _, radius := range []float64{1, math.Sqrt(float64(s.inputSize()))} {
		feeds := paramFeeds(model, mg.params, 4)
		feeds[mg.inputs[1]] = circle(basis, radius, th)
		tangents := make([]float64, len(feeds[mg.inputs[1]]))
		for k := range th { // dx/dθ = x(θ + π/2)
			copy(tangents[k*s.inputSize():], circle(basis, radius, []float64{th[k] + math.Pi/2}))
		}
		feeds[mg.inputs[2]] = tangents
		out, err := eval.Run([]*graphgen.Value{mg.outputs[1]}, feeds)
		if err != nil {
			t.Fatal(err)
		}
		got := curveLength(out[0], s.CurvePoints)

		const h = 1e-4
		features := func(shift float64) []float64 {
			angles := make([]float64, len(th))
			for k := range th {
				angles[k] = th[k] + shift
			}
			y, err := eval.Run(fwd.Outputs(), map[*graphgen.Value][]float64{fwd.Inputs()[0]: circle(basis, radius, angles)})
			if err != nil {
				t.Fatal(err)
			}
			return y[0]
		}
		plus, minus := features(h), features(-h)
		fd := make([]float64, len(plus))
		for i := range fd {
			fd[i] = (plus[i] - minus[i]) / (2 * h)
		}
		want := curveLength(fd, s.CurvePoints)
		// Central differences err by h²/6·|f'''|/|f'| ≈ 2e-9 relative for
		// O(1) derivative ratios, and rounding adds ε·|f|/(h·|f'|) ≈ 1e-10:
		// 1e-6 leaves room, while a wrong JVP rule is off by far more.
		if e := relErr(got, want); e > 1e-6 {
			t.Errorf("radius %.4g: L^E by JVP %.12g, by finite differences %.12g (relative error %.2g)", radius, got, want, e)
		}
		t.Logf("radius %.4g: L^E %.12g, relative error %.2g", radius, got, relErr(got, want))
	}
}

// The per-sample Gram of the fast graph against Θ = G·Gᵀ from one backward
// pass per sample (one-hot seeds) in the brute-force graph.
func TestGramMatchesPerSampleGradients(t *testing.T) {
	s := tinySettings()
	model := tinyModel(t, s)
	fast, err := buildFast(model, s, graphgen.Float64)
	if err != nil {
		t.Fatal(err)
	}
	brute, err := buildBruteNTK(model, s, graphgen.Float64)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProbe(s, ProbeSource{})
	if err != nil {
		t.Fatal(err)
	}
	images := toFloat64(p.Images)

	feeds := paramFeeds(model, fast.params, 6)
	feeds[fast.inputs[0]] = images
	out, err := eval.Run([]*graphgen.Value{fast.outputs[0]}, feeds)
	if err != nil {
		t.Fatal(err)
	}
	got := out[0]

	nf := model.Spec().Features()
	grads := make([][]float64, s.Batch)
	for b := range grads {
		feeds := paramFeeds(model, brute.params, 6)
		feeds[brute.inputs[0]] = images
		seed := make([]float64, s.Batch*nf)
		for c := range nf {
			seed[b*nf+c] = 1
		}
		feeds[brute.inputs[1]] = seed
		out, err := eval.Run(brute.outputs, feeds)
		if err != nil {
			t.Fatal(err)
		}
		grads[b] = out[0]
	}
	var scale float64
	want := make([]float64, s.Batch*s.Batch)
	for i := range grads {
		for j := range grads {
			want[i*s.Batch+j] = dot(grads[i], grads[j])
			scale = math.Max(scale, math.Abs(want[i*s.Batch+j]))
		}
	}
	for i := range want {
		// Float64 sums over ~1e4 parameters in different orders: ~1e-13.
		if d := math.Abs(got[i]-want[i]) / scale; d > 1e-10 {
			t.Errorf("Θ[%d,%d] = %.15g, per-sample gradients give %.15g (error %.2g of max |Θ|)", i/s.Batch, i%s.Batch, got[i], want[i], d)
		}
	}
	if k, _, _ := conditionNumber(got, s.Batch); k < 1 || bad(k) {
		t.Errorf("κ = %v", k)
	}
}
