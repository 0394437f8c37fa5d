package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// reversedBatch measures a batch back to front, as workers finishing in
// any order would, and counts the topologies per call.
type reversedBatch struct {
	e     trainfree.Evaluator
	sizes []int
}

func (r *reversedBatch) EvaluateAll(ctx context.Context, ts []vit.Topology, done func(int, trainfree.Measure)) ([]trainfree.Measure, error) {
	r.sizes = append(r.sizes, len(ts))
	ms := make([]trainfree.Measure, len(ts))
	for i := len(ts) - 1; i >= 0; i-- {
		m, err := r.e.Evaluate(ctx, ts[i])
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	return ms, nil
}

func TestBatchSearchFindsTargetAndRecordsEverySample(t *testing.T) {
	const m, steps = 4, 150
	cfg := DefaultConfig()
	cfg.BatchSize = m
	cfg.Steps = steps
	s, err := NewSearcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eval := &reversedBatch{e: newTargetEvaluator(authorsSeed)}
	samples := 0
	for !s.Done() {
		recs, err := s.Step(context.Background(), eval)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != m {
			t.Fatalf("step %d: %d records, want %d", s.Steps(), len(recs), m)
		}
		for i, r := range recs {
			if r.Step != s.Steps() || r.Sample != i+1 {
				t.Fatalf("record %d of step %d says step %d sample %d", i, s.Steps(), r.Step, r.Sample)
			}
			if !r.Cached {
				samples++
			}
		}
	}
	res, err := s.Result()
	if err != nil {
		t.Fatal(err)
	}
	if res.Topology != authorsSeed {
		t.Errorf("found %s, want %s (entropy %.2f)", res.Topology, authorsSeed, res.Entropy)
	}
	measured := 0
	for _, n := range eval.sizes {
		if n > m {
			t.Fatalf("a step asked for %d measures, more than its %d samples", n, m)
		}
		measured += n
	}
	if measured != res.Evaluations || measured > samples {
		t.Errorf("%d topologies measured, result says %d, %d uncached samples", measured, res.Evaluations, samples)
	}
	t.Logf("%d steps of %d: %d measured, entropy %.2f", steps, m, measured, res.Entropy)
}

// TestBatchOfOneIsTheSequentialSearch: the batch machinery with one sample
// per step takes exactly the steps of the one-at-a-time search.
func TestBatchOfOneIsTheSequentialSearch(t *testing.T) {
	one := testConfig(t, 40)
	one.BatchSize = 1
	plain := testConfig(t, 40)
	if _, err := Run(context.Background(), plain, newTargetEvaluator(authorsSeed), nil); err != nil {
		t.Fatal(err)
	}
	s, err := NewSearcher(one)
	if err != nil {
		t.Fatal(err)
	}
	var got []StepRecord
	for !s.Done() {
		recs, err := s.Step(context.Background(), &reversedBatch{e: newTargetEvaluator(authorsSeed)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, recs...)
	}
	want, err := runs.ReadLog[StepRecord](plain.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		a, _ := json.Marshal(got[i])
		b, _ := json.Marshal(want[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBatchResumeEqualsUninterrupted(t *testing.T) {
	const steps = 25
	full := testConfig(t, steps)
	full.BatchSize = 3
	if _, err := Run(context.Background(), full, newTargetEvaluator(authorsSeed), nil); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, steps)
	cfg.BatchSize = 3
	ctx, cancel := context.WithCancel(context.Background())
	eval := newTargetEvaluator(authorsSeed)
	eval.stopAt, eval.cancel = 20, cancel // in the middle of a step's batch
	if _, err := Run(ctx, cfg, eval, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a cancelled run", err)
	}
	cancel()
	cfg.Resume, cfg.Clock = true, stepClock()
	if _, err := Run(context.Background(), cfg, newTargetEvaluator(authorsSeed), nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{runs.LogFile, runs.ResultFile, runs.CheckpointFile} {
		a, _ := os.ReadFile(filepath.Join(full.Dir, name))
		b, _ := os.ReadFile(filepath.Join(cfg.Dir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted run's", name)
		}
	}
}
