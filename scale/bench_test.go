package scale

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

var freeEvaluator = trainfree.EvaluatorFunc(func(_ context.Context, t vit.Topology) (trainfree.Measure, error) {
	d := depths(t)
	return trainfree.Measure{NTKCond: float64(d[0] + 2*d[1]), LengthDistortion: float64(t.Hidden + d[2])}, nil
})

// BenchmarkCandidates times listing and costing one step's 16 candidates.
func BenchmarkCandidates(b *testing.B) {
	c := DefaultConfig()
	t, err := c.start()
	if err != nil {
		b.Fatal(err)
	}
	t.Hidden = 30 // four distinct widths
	for b.Loop() {
		if _, err := c.candidates(t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChoose times ranking 16 measured candidates.
func BenchmarkChoose(b *testing.B) {
	ms := make([]trainfree.Measure, 16)
	for i := range ms {
		ms[i] = trainfree.Measure{NTKCond: float64(i % 5), LengthDistortion: float64(i % 7)}
	}
	for b.Loop() {
		choose(ms)
	}
}

// BenchmarkRun times a whole default scaling run to 80M parameters with a
// free evaluator, files included.
func BenchmarkRun(b *testing.B) {
	dir := b.TempDir()
	n := 0
	for b.Loop() {
		cfg := DefaultConfig()
		n++
		cfg.Dir = filepath.Join(dir, fmt.Sprintf("run%d", n))
		if _, err := Run(context.Background(), cfg, freeEvaluator, nil); err != nil {
			b.Fatal(err)
		}
	}
}
