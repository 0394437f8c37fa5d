package proxies

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// Topologies of the tests: the authors' seed, and a tiny network (hidden 8,
// two blocks in stage 1, windows in stage 1) that the float64 evaluator
// runs in milliseconds.
const (
	seedTopology = "8,2,3|4,1,2|4,1,4|4,1,6|32"
	tinyTopology = "4,2,2,2|2,1,3|2,1,2|2,1,2|8,8"
)

// initORT loads the runtime library or fails the test saying how to get it.
func initORT(tb testing.TB) {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v (run `bash scripts/install-ort.sh` from the repository root)", err)
	}
}

// newModel returns topology top on single-channel image×image pictures
// with 10 classes.
func newModel(tb testing.TB, top string, image int) vit.Model {
	tb.Helper()
	t, err := vit.Parse(top)
	if err != nil {
		tb.Fatal(err)
	}
	s := vit.NewSpec(t, image, 10)
	s.Channels = 1
	m, err := vit.New(s)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// randomInput draws n standard-normal images for m and uniform labels.
func randomInput(m vit.Model, n int, seed uint64) Input {
	s := m.Spec()
	r := rand.New(rand.NewPCG(seed, 11))
	in := Input{N: n, Images: make([]float32, n*s.Channels*s.Image*s.Image), Labels: make([]int64, n)}
	for i := range in.Images {
		in.Images[i] = float32(r.NormFloat64())
	}
	for i := range in.Labels {
		in.Labels[i] = int64(r.IntN(s.Classes))
	}
	return in
}

// oneThread runs every session on one thread, as the machine is shared.
var oneThread = ort.Options{Threads: 1}

func measure(tb testing.TB, m vit.Model, weights [][]float32, in Input) Scores {
	tb.Helper()
	initORT(tb)
	s, err := Measure(context.Background(), m, weights, in, oneThread)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// evalFeeds returns the proxy graph's feeds in float64 for the evaluator.
func evalFeeds(pg *proxyGraph, m vit.Model, weights [][]float32, in Input) map[*graphgen.Value][]float64 {
	vals, data := pg.feeds(m, weights, absolute(weights), in)
	feeds := make(map[*graphgen.Value][]float64, len(vals))
	for i, v := range vals {
		feeds[v] = widen(data[i])
	}
	return feeds
}

func widen(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}
