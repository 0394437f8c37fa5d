package detect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/internal/fdcheck"
	"github.com/asvit/asvit/vit"
)

// tinyArch is a small network for tests: widths 4, 8, 16, 32.
const tinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"

// tinyDetector is tinyArch on 1×32×32 inputs at patch stride 2 (maps 16,
// 8, 4, 2) with 3 classes and a width-4 neck.
func tinyDetector(tb testing.TB, image int) Model {
	tb.Helper()
	top, err := vit.Parse(tinyArch)
	if err != nil {
		tb.Fatal(err)
	}
	spec := vit.NewSpec(top, image, 10)
	spec.Channels, spec.PatchStride = 1, 2
	b, err := vit.New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(b, 3, 4)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// reference is the objective in float64 through the reference interpreter.
type reference struct {
	o     Objective
	feeds map[*graphgen.Value][]float64
}

func newReference(tb testing.TB, m Model, batch int, boxes [][]Box, seed uint64) (*reference, *Targets) {
	tb.Helper()
	g := graphgen.New("reference")
	g.ParamsAsInputs = true
	o, err := m.BuildObjective(g, graphgen.Float64, batch)
	if err != nil {
		tb.Fatal(err)
	}
	enc := m.Encoder(batch)
	tg := enc.NewTargets()
	if err := enc.Encode(boxes, tg); err != nil {
		tb.Fatal(err)
	}
	r := &reference{o: o, feeds: map[*graphgen.Value][]float64{}}
	for k, w := range m.Init(seed) {
		r.feeds[o.Params[k]] = widen(w)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	img := make([]float64, o.Images.Size())
	for i := range img {
		img[i] = rng.NormFloat64()
	}
	r.feeds[o.Images] = img
	for k, v := range []*graphgen.Value{o.Positive, o.NegWeight, o.BoxTarget, o.Mask, o.Norm} {
		r.feeds[v] = widen(tg.Feeds()[k])
	}
	return r, tg
}

func (r *reference) run(tb testing.TB, outs ...*graphgen.Value) [][]float64 {
	tb.Helper()
	got, err := eval.Run(outs, r.feeds)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func (r *reference) lossAt(tb testing.TB, dir [][]float64, h float64) float64 {
	tb.Helper()
	saved := map[*graphgen.Value][]float64{}
	for k, p := range r.o.Params {
		saved[p] = r.feeds[p]
		moved := make([]float64, len(dir[k]))
		for i, v := range r.feeds[p] {
			moved[i] = v + h*dir[k][i]
		}
		r.feeds[p] = moved
	}
	defer func() {
		for p, v := range saved {
			r.feeds[p] = v
		}
	}()
	return r.run(tb, r.o.Loss)[0][0]
}

var testBoxes = [][]Box{
	{{X: 2, Y: 3, W: 10, H: 7, Class: 0}, {X: 14, Y: 15, W: 16, H: 12, Class: 2}},
	{{X: 20, Y: 1, W: 5, H: 5, Class: 1}},
}

// TestLossMatchesItsFormula recomputes both losses in Go from the graph's
// own float64 outputs and targets.
func TestLossMatchesItsFormula(t *testing.T) {
	m := tinyDetector(t, 32)
	ref, tg := newReference(t, m, 2, testBoxes, 3)
	got := ref.run(t, ref.o.Out.Heatmap, ref.o.Out.Box, ref.o.HeatLoss, ref.o.BoxLoss, ref.o.Loss)
	heat, box := got[0], got[1]
	n := 1 / float64(tg.Feeds()[4][0]) // the graph reads 1/N in float32
	if tg.Objects != 3 {
		t.Fatalf("objects %d, want 3", tg.Objects)
	}
	want := 0.0
	for i, z := range heat {
		p := ProbEps + (1-2*ProbEps)/(1+math.Exp(-z))
		want -= float64(tg.Positive[i])*(1-p)*(1-p)*math.Log(p) + float64(tg.NegWeight[i])*p*p*math.Log(1-p)
	}
	want /= n
	if math.Abs(got[2][0]-want) > 1e-9*math.Abs(want) {
		t.Errorf("heatmap loss %.12g, formula %.12g", got[2][0], want)
	}
	cells := m.OutputSide() * m.OutputSide()
	wantBox := 0.0
	for b := range 2 {
		for c := range BoxChannels {
			for k := range cells {
				i := (b*BoxChannels+c)*cells + k
				d := box[i] - float64(tg.Box[i])
				wantBox += float64(tg.BoxMask[b*cells+k]) * (math.Sqrt(d*d+BoxDelta*BoxDelta) - BoxDelta)
			}
		}
	}
	wantBox /= n
	if math.Abs(got[3][0]-wantBox) > 1e-9*math.Abs(wantBox) {
		t.Errorf("box loss %.12g, formula %.12g", got[3][0], wantBox)
	}
	if math.Abs(got[4][0]-(want+BoxWeight*wantBox)) > 1e-9*got[4][0] {
		t.Errorf("loss %.12g, want %.12g", got[4][0], want+BoxWeight*wantBox)
	}
}

// TestInitialHeatmapIsThePrior: with the prior bias the mean probability
// starts near PriorProbability.
func TestInitialHeatmapIsThePrior(t *testing.T) {
	m := tinyDetector(t, 32)
	ref, _ := newReference(t, m, 2, testBoxes, 4)
	heat := ref.run(t, ref.o.Out.Heatmap)[0]
	mean := 0.0
	for _, z := range heat {
		mean += 1 / (1 + math.Exp(-z))
	}
	mean /= float64(len(heat))
	if math.Abs(mean-PriorProbability) > 0.03 {
		t.Errorf("mean initial probability %.4f, want about %g", mean, PriorProbability)
	}
}

// TestGradientMatchesFiniteDifferences checks ⟨∇L, u⟩ against central
// differences along random unit directions u, in float64.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	m := tinyDetector(t, 32)
	ref, _ := newReference(t, m, 2, testBoxes, 5)
	grads := ref.run(t, ref.o.Grads...)
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 3 {
		dir, dot := fdcheck.UnitDirection(r, grads)
		const h = 1e-4
		fd := (ref.lossAt(t, dir, h) - ref.lossAt(t, dir, -h)) / (2 * h)
		if math.Abs(fd-dot) > 1e-8*max(1, math.Abs(dot)) {
			t.Errorf("direction %d: ⟨grad, u⟩ = %.10g, central difference %.10g", trial, dot, fd)
		}
	}
	// Every parameter of the table is reached by the loss.
	for k, g := range grads {
		nz := false
		for _, v := range g {
			nz = nz || v != 0
		}
		if !nz {
			t.Errorf("parameter %s has a zero gradient", m.ParamTable()[k].Name)
		}
	}
}
