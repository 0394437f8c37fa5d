package complexity

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// seedTopology is the authors' searched seed.
const seedTopology = "8,2,3|4,1,2|4,1,4|4,1,6|32"

// initORT loads the runtime library or fails the test saying how to get it.
func initORT(tb testing.TB) {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v (run `bash scripts/install-ort.sh` from the repository root)", err)
	}
}

// smallSettings keeps every network tiny: 32 px, batch 4, 4 curve points.
func smallSettings() Settings {
	s := DefaultSettings()
	s.Image, s.Batch, s.CurvePoints, s.Repeat, s.Classes = 32, 4, 4, 2, 10
	return s
}

// smallTopologies draws n seed topologies from the search space with hidden
// size 16 instead of 32.
func smallTopologies(n int, seed uint64) []vit.Topology {
	rng := rand.New(rand.NewPCG(seed, 1))
	tops := make([]vit.Topology, n)
	for i := range tops {
		tops[i] = vit.Sample(rng)
		tops[i].Hidden = 16
	}
	return tops
}

func parse(tb testing.TB, s string) vit.Topology {
	tb.Helper()
	t, err := vit.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// newMeasurer draws a probe for s from the embedded sample and returns a
// measurer closed when the test ends.
func newMeasurer(tb testing.TB, s Settings) *Measurer {
	tb.Helper()
	initORT(tb)
	p, err := NewProbe(s, ProbeSource{})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := NewMeasurer(s, p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return m
}

func measure(tb testing.TB, m *Measurer, top vit.Topology) Result {
	tb.Helper()
	r, err := m.Measure(context.Background(), top)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}
