package vit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
)

// runModel serialises g and runs it on ORT with the given input, returning
// every output.
func runModel(tb testing.TB, g *graphgen.Graph, input []float32, shape []int64) []*ort.Tensor {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
	}
	model, err := g.Model()
	if err != nil {
		tb.Fatal(err)
	}
	sess, err := ort.NewSession(model, []string{InputName}, nil, ort.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer sess.Destroy()
	x, err := ort.NewFloat32(shape, input)
	if err != nil {
		tb.Fatal(err)
	}
	defer x.Destroy()
	outs, err := sess.Run([]*ort.Tensor{x})
	if err != nil {
		tb.Fatal(err)
	}
	return outs
}

func randomInput(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func graphParamCount(g *graphgen.Graph) int64 {
	var n int64
	for _, p := range g.Params() {
		n += int64(p.Size())
	}
	return n
}

func mustModel(tb testing.TB, arch string, image, classes int) Model {
	tb.Helper()
	top, err := Parse(arch)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(NewSpec(top, image, classes))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func checkFinite(tb testing.TB, what string, xs []float32) {
	tb.Helper()
	for i, v := range xs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			tb.Fatalf("%s[%d] = %v", what, i, v)
		}
	}
}

func TestSeedGraphHoldsTheSpecParameters(t *testing.T) {
	m := mustModel(t, "8,2,3|4,1,2|4,1,4|4,1,6|32", 224, 1000)
	g, err := m.Graph(GraphConfig{Batch: 2, Weights: m.Init(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := graphParamCount(g); got != 2319624 {
		t.Fatalf("graph holds %d parameters, want 2,319,624", got)
	}
	outs := runModel(t, g, randomInput(1, 2*3*224*224), []int64{2, 3, 224, 224})
	defer ort.DestroyAll(outs)
	if s := outs[0].Shape(); len(s) != 2 || s[0] != 2 || s[1] != 1000 {
		t.Fatalf("logits shape %v, want [2 1000]", s)
	}
	checkFinite(t, "logits", outs[0].Float32s())
}

// Fifty topologies from the search space, at 224 and 32 px: the graph must
// hold exactly the counted parameters and produce finite outputs of the
// right shape.
func TestSampledTopologiesBuildAndRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 50 {
		image := []int{224, 32}[i%2]
		top := Sample(rng)
		m, err := New(NewSpec(top, image, 10))
		if err != nil {
			t.Fatalf("%s at %d px: %v", top, image, err)
		}
		out := []Output{Logits, Features}[i/2%2]
		g, err := m.Graph(GraphConfig{Batch: 1, Weights: m.Init(uint64(i)), ForwardOptions: ForwardOptions{Output: out}})
		if err != nil {
			t.Fatalf("%s: %v", top, err)
		}
		if got, want := graphParamCount(g), m.Params(); got != want {
			t.Fatalf("%s at %d px: graph holds %d parameters, counted %d", top, image, got, want)
		}
		outs := runModel(t, g, randomInput(uint64(i), 3*image*image), []int64{1, 3, int64(image), int64(image)})
		want := int64(10)
		if out == Features {
			want = int64(top.Features())
		}
		if s := outs[0].Shape(); len(s) != 2 || s[1] != want {
			t.Fatalf("%s: output shape %v, want [1 %d]", top, s, want)
		}
		checkFinite(t, top.String(), outs[0].Float32s())
		ort.DestroyAll(outs)
	}
}

// A dynamic-batch model gives each sample the same output whatever the
// batch it is run in.
func TestDynamicBatchMatchesPerSample(t *testing.T) {
	m := mustModel(t, "7,4,3|3,2,4|3,1,5|2,1,6|16", 64, 5)
	g, err := m.Graph(GraphConfig{Batch: 1, Weights: m.Init(3), DynamicBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 3 * 64 * 64
	x := randomInput(5, 3*n)
	all := runModel(t, g, x, []int64{3, 3, 64, 64})
	defer ort.DestroyAll(all)
	for b := range 3 {
		one := runModel(t, g, x[b*n:(b+1)*n], []int64{1, 3, 64, 64})
		for c, v := range one[0].Float32s() {
			if w := all[0].Float32s()[b*5+c]; math.Abs(float64(v-w)) > 1e-5 {
				t.Fatalf("sample %d class %d: %v alone, %v in a batch", b, c, v, w)
			}
		}
		ort.DestroyAll(one)
	}
}

func TestStageMapsHaveStrides4To32(t *testing.T) {
	m := mustModel(t, "5,2,2|3,2,3|2,1,4|4,1,5|16", 128, 10)
	g, err := m.Graph(GraphConfig{Batch: 2, Weights: m.Init(2), ForwardOptions: ForwardOptions{Output: StageMaps}})
	if err != nil {
		t.Fatal(err)
	}
	outs := runModel(t, g, randomInput(2, 2*3*128*128), []int64{2, 3, 128, 128})
	defer ort.DestroyAll(outs)
	for i, o := range outs {
		stride := int64(4 << i)
		want := []int64{2, int64(32 << i), 128 / stride, 128 / stride}
		if s := o.Shape(); len(s) != 4 || s[0] != want[0] || s[1] != want[1] || s[2] != want[2] || s[3] != want[3] {
			t.Fatalf("stage %d: shape %v, want %v", i+1, s, want)
		}
		checkFinite(t, StageMapName(i), o.Float32s())
	}
}

func TestGrayInputAndCoarsePatchSampling(t *testing.T) {
	top, _ := Parse("4,2,3|4,1,2|4,1,4|4,1,6|32")
	spec := NewSpec(top, 128, 10)
	spec.Channels = 1
	spec.PatchStride, spec.PatchDilation = 16, 5
	m, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := New(NewSpec(top, 128, 10))
	if m.Stages()[0].Res != 8 {
		t.Fatalf("stride 16 at 128 px: stage-1 resolution %d, want 8", m.Stages()[0].Res)
	}
	// Re-tokenization keeps every weight shape.
	a, b := m.ParamTable()[0].Shape, full.ParamTable()[0].Shape
	if a[2] != b[2] || a[3] != b[3] {
		t.Fatalf("patch weight %v at stride 16, %v at stride 4", a, b)
	}
	g, err := m.Graph(GraphConfig{Batch: 2, Weights: m.Init(4)})
	if err != nil {
		t.Fatal(err)
	}
	outs := runModel(t, g, randomInput(4, 2*128*128), []int64{2, 1, 128, 128})
	defer ort.DestroyAll(outs)
	checkFinite(t, "logits", outs[0].Float32s())
}

func BenchmarkGraphBuildSeed224(b *testing.B) {
	m := mustModel(b, "8,2,3|4,1,2|4,1,4|4,1,6|32", 224, 1000)
	w := m.Init(1)
	for b.Loop() {
		g, err := m.Graph(GraphConfig{Batch: 16, Weights: w})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.Model(); err != nil {
			b.Fatal(err)
		}
	}
}
