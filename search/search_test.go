package search

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
)

func testConfig(t testing.TB, steps int) Config {
	c := DefaultConfig()
	c.Dir = filepath.Join(t.TempDir(), "run")
	c.Steps = steps
	c.Seed = 11
	c.Clock = stepClock()
	c.EvalSettings = map[string]int{"repeat": 5}
	return c
}

// TestSearchFindsTarget runs the authors' full 500-step schedule in memory
// on a reward whose best topology is known.
func TestSearchFindsTarget(t *testing.T) {
	for _, target := range []string{authorsSeed, "4,2,2|2,4,6|3,2,5|2,1,3|64"} {
		for seed := range uint64(3) {
			cfg := DefaultConfig()
			cfg.Seed = seed
			s := newSearcher(cfg)
			eval := newTargetEvaluator(target)
			for range cfg.Steps {
				if _, err := s.Step(context.Background(), trainfree.Sequential(eval)); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Result()
			if err != nil {
				t.Fatal(err)
			}
			if res.Topology != target {
				t.Errorf("seed %d: found %s, want %s (entropy %.2f)", seed, res.Topology, target, res.Entropy)
			}
			t.Logf("seed %d: entropy %.2f after %d steps, %d measured", seed, res.Entropy, res.Steps, res.Evaluations)
		}
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	const steps = 60
	full := testConfig(t, steps)
	want, err := Run(context.Background(), full, newTargetEvaluator(authorsSeed), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int64{1, 2, 17, 45} {
		cfg := testConfig(t, steps)
		ctx, cancel := context.WithCancel(context.Background())
		eval := newTargetEvaluator(authorsSeed)
		eval.stopAt, eval.cancel = k, cancel
		_, err := Run(ctx, cfg, eval, nil)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("crash at evaluation %d: got %v, want a cancelled run", k, err)
		}
		if k == 17 {
			// Also lose a log line written after the last checkpoint.
			f, _ := os.OpenFile(filepath.Join(cfg.Dir, runs.LogFile), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("{\"step\":99,\"topology\":\"x\"}\n{\"step\":")
			f.Close()
		}
		cfg.Resume, cfg.Clock = true, stepClock()
		got, err := Run(context.Background(), cfg, newTargetEvaluator(authorsSeed), nil)
		if err != nil {
			t.Fatalf("resume after evaluation %d: %v", k, err)
		}
		if got.Topology != want.Topology || got.Entropy != want.Entropy {
			t.Errorf("crash at evaluation %d: result %s (H %v), want %s (H %v)", k, got.Topology, got.Entropy, want.Topology, want.Entropy)
		}
		for _, name := range []string{runs.LogFile, runs.ResultFile, runs.CheckpointFile} {
			a, _ := os.ReadFile(filepath.Join(full.Dir, name))
			b, _ := os.ReadFile(filepath.Join(cfg.Dir, name))
			if !bytes.Equal(a, b) {
				t.Errorf("crash at evaluation %d: %s differs from the uninterrupted run's", k, name)
			}
		}
	}
	// Resuming a finished run gives its result again without measuring.
	again := full
	again.Resume = true
	res, err := Run(context.Background(), again, trainfree.EvaluatorFunc(nil), nil)
	if err != nil || res.Topology != want.Topology {
		t.Fatalf("resume of a finished run: %v, %v", res.Topology, err)
	}
}

func TestRunLogsBadNetworksAndCaches(t *testing.T) {
	cfg := testConfig(t, 200)
	eval := newTargetEvaluator(authorsSeed)
	res, err := Run(context.Background(), cfg, eval, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := runs.ReadLog[StepRecord](cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != cfg.Steps {
		t.Fatalf("log has %d records, want %d", len(recs), cfg.Steps)
	}
	seen, bad, cached := map[string]bool{}, 0, 0
	for i, r := range recs {
		if r.Step != i+1 || r.Seconds != 1 {
			t.Fatalf("record %d: step %d, %v s; want step %d, 1 s", i, r.Step, r.Seconds, i+1)
		}
		if r.Cached != seen[r.Topology] {
			t.Fatalf("step %d: cached %v, but seen before %v", r.Step, r.Cached, seen[r.Topology])
		}
		seen[r.Topology] = true
		if r.Bad {
			bad++
			if !strings.Contains(r.Topology, "|16") || r.NTKCond == r.NTKCond {
				t.Fatalf("step %d: bad record %+v, want H = 16 and κ NaN", r.Step, r)
			}
		}
		if r.Cached {
			cached++
		}
	}
	if bad == 0 || cached == 0 {
		t.Fatalf("%d bad and %d cached steps; the test needs both", bad, cached)
	}
	if int(eval.calls.Load()) != len(seen) || res.Evaluations != len(seen) {
		t.Fatalf("%d evaluations (%d in result) for %d distinct topologies", eval.calls.Load(), res.Evaluations, len(seen))
	}

	cfg = testConfig(t, 50)
	cfg.NoCache = true
	eval = newTargetEvaluator(authorsSeed)
	if res, err = Run(context.Background(), cfg, eval, nil); err != nil {
		t.Fatal(err)
	}
	if eval.calls.Load() != 50 || res.Evaluations != 50 {
		t.Fatalf("without the cache: %d evaluations, want 50", eval.calls.Load())
	}
}

func TestResumeRefusesOtherSettings(t *testing.T) {
	cfg := testConfig(t, 3)
	if _, err := Run(context.Background(), cfg, newTargetEvaluator(authorsSeed), nil); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Steps, cfg.LR = true, 4, 0.1
	_, err := Run(context.Background(), cfg, newTargetEvaluator(authorsSeed), nil)
	if err == nil || !strings.Contains(err.Error(), "lr (run 0.08, given 0.1), steps (run 3, given 4)") {
		t.Fatalf("got %v, want a refusal naming lr and steps", err)
	}
	stored, err := LoadConfig(cfg.Dir)
	if err != nil || stored.Steps != 3 || stored.Seed != 11 || !stored.Resume {
		t.Fatalf("LoadConfig: %+v, %v", stored, err)
	}
}

type recordingProgress struct {
	start, total, steps int
	finished            bool
}

func (p *recordingProgress) Start(done, total int) { p.start, p.total = done, total }
func (p *recordingProgress) Step(StepRecord)       { p.steps++ }
func (p *recordingProgress) Finish(Result)         { p.finished = true }

func TestProgressAndPlot(t *testing.T) {
	cfg := testConfig(t, 30)
	p := &recordingProgress{}
	if _, err := Run(context.Background(), cfg, newTargetEvaluator(authorsSeed), p); err != nil {
		t.Fatal(err)
	}
	if p.start != 0 || p.total != 30 || p.steps != 30 || !p.finished {
		t.Fatalf("progress heard %+v, want start 0 of 30, 30 steps, finished", p)
	}
	if err := Plot(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(cfg.Dir, PlotFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 800 {
		t.Fatalf("plot is %v, want about 1417×1063", b)
	}
	if err := Plot(t.TempDir()); err == nil {
		t.Fatal("plotted a directory without a log")
	}
}

func TestValidate(t *testing.T) {
	ok := testConfig(t, 5)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Dir = "" }, "run directory"},
		{func(c *Config) { c.Steps = 0 }, "steps: got 0"},
		{func(c *Config) { c.LR = -1 }, "learning rate: got -1"},
		{func(c *Config) { c.Momentum = 1 }, "baseline momentum: got 1"},
		{func(c *Config) { c.Window = 1 }, "reward window: got 1"},
	} {
		cfg := ok
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error saying %q", err, c.want)
		}
	}
}
