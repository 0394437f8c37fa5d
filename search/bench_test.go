package search

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// freeEvaluator costs nothing, so the benchmarks time the pipeline alone.
var freeEvaluator = trainfree.EvaluatorFunc(func(_ context.Context, t vit.Topology) (trainfree.Measure, error) {
	return trainfree.Measure{NTKCond: float64(t.Heads), LengthDistortion: float64(t.Stages[0].Kernel)}, nil
})

// BenchmarkStep times one policy step in memory: sample, reward, update.
func BenchmarkStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.NoCache = true
	s := newSearcher(cfg)
	for b.Loop() {
		if _, err := s.Step(context.Background(), trainfree.Sequential(freeEvaluator)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunStep times one step of Run with its log record and
// checkpoint (fsynced) on the test's temporary directory.
func BenchmarkRunStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir = filepath.Join(b.TempDir(), "run")
	cfg.Steps = b.N
	b.ResetTimer()
	if _, err := Run(context.Background(), cfg, freeEvaluator, nil); err != nil {
		b.Fatal(err)
	}
}
