package scale

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// fakeEvaluator is a deterministic stand-in for the measures: κ falls with
// width and rises with depth, L^E rises with both; models with four or
// more blocks in stage 4 are bad.
type fakeEvaluator struct {
	calls  atomic.Int64
	stopAt int64 // when > 0, the call with this number cancels
	cancel context.CancelFunc
}

func (e *fakeEvaluator) Evaluate(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
	if e.calls.Add(1) == e.stopAt {
		e.cancel()
	}
	if err := ctx.Err(); err != nil {
		return trainfree.Measure{}, err
	}
	d := depths(t)
	m := trainfree.Measure{
		NTKCond:          1000/float64(t.Hidden) + 3*float64(d[0]) + float64(d[1]) + 2*float64(d[2]) + float64(d[3]),
		LengthDistortion: 0.5*float64(t.Hidden) + float64(d[2]) + 0.25*float64(d[3]),
	}
	if d[3] >= 4 {
		m.Bad = true
	}
	return m, nil
}

func stepClock() func() time.Time {
	now := time.Unix(0, 0)
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}

func testConfig(t testing.TB) Config {
	c := DefaultConfig()
	c.Dir = filepath.Join(t.TempDir(), "run")
	c.Clock = stepClock()
	c.EvalSettings = map[string]int{"repeat": 3}
	return c
}

func TestRunStopsAtStopParams(t *testing.T) {
	cfg := testConfig(t)
	eval := &fakeEvaluator{}
	res, err := Run(context.Background(), cfg, eval, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopReached || len(res.Series) == 0 {
		t.Fatalf("stop %q after %d steps, want %q", res.Stop, len(res.Series), StopReached)
	}
	recs, err := runs.ReadLog[StepRecord](cfg.Dir)
	if err != nil || len(recs) != len(res.Series) {
		t.Fatalf("log: %d records, %v; want %d", len(recs), err, len(res.Series))
	}
	hidden, blocks := cfg.Hidden, 4
	measured := 0
	for i, m := range res.Series {
		last := i == len(res.Series)-1
		if (m.Params >= cfg.StopParams) != last {
			t.Errorf("step %d: %d parameters; only the last step may reach %d", m.Step, m.Params, cfg.StopParams)
		}
		if m.Params > cfg.LimitParams {
			t.Errorf("step %d: chose %d parameters, over the limit", m.Step, m.Params)
		}
		sum := 0
		for _, d := range m.Depths {
			sum += d
		}
		blocks++
		widths, _ := growWidths(hidden, cfg.Ratios)
		if sum != blocks || !containsInt(widths, m.Hidden) {
			t.Errorf("step %d: depths %v, hidden %d; want %d blocks and a hidden in %v", m.Step, m.Depths, m.Hidden, blocks, widths)
		}
		built, err := vit.Parse(m.Topology)
		if err != nil || built.Hidden != 4*m.Hidden || depths(built) != m.Depths {
			t.Errorf("step %d: topology %s (%v), want hidden %d and depths %v", m.Step, m.Topology, err, 4*m.Hidden, m.Depths)
		}
		rec := recs[i]
		if len(rec.Candidates) != 4*len(widths) || rec.Member != m || rec.Seconds != 1 {
			t.Errorf("step %d: %d candidates, member %+v, %v s", m.Step, len(rec.Candidates), rec.Member, rec.Seconds)
		}
		for _, c := range rec.Candidates {
			if c.OverLimit != (c.Params > cfg.LimitParams) || (c.Measure == nil) != c.OverLimit {
				t.Errorf("step %d: candidate %+v is marked wrongly", m.Step, c)
			}
			if !c.OverLimit {
				measured++
			}
		}
		hidden = m.Hidden
	}
	if int(eval.calls.Load()) != measured {
		t.Errorf("%d evaluations for %d measured candidates", eval.calls.Load(), measured)
	}
	t.Logf("%d steps to %s, %.1fM parameters", len(res.Series), res.Series[len(res.Series)-1].Topology, float64(res.Series[len(res.Series)-1].Params)/1e6)
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestRunStopsWhenNothingFits(t *testing.T) {
	cfg := testConfig(t)
	cfg.StopParams, cfg.LimitParams = 5_000_000, 5_000_000
	res, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopLimit || len(res.Series) == 0 {
		t.Fatalf("stop %q after %d steps, want %q", res.Stop, len(res.Series), StopLimit)
	}
	last := res.Series[len(res.Series)-1]
	start, _ := cfg.current(state{Series: res.Series})
	cands, _ := cfg.candidates(start)
	for _, c := range cands {
		if !c.OverLimit {
			t.Fatalf("after %s a candidate fits: %+v", last.Topology, c)
		}
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	full := testConfig(t)
	want, err := Run(context.Background(), full, &fakeEvaluator{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int64{1, 12, 13, 40, 100} {
		cfg := testConfig(t)
		ctx, cancel := context.WithCancel(context.Background())
		eval := &fakeEvaluator{stopAt: k, cancel: cancel}
		_, err := Run(ctx, cfg, eval, nil)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("crash at evaluation %d: got %v, want a cancelled run", k, err)
		}
		cfg.Resume, cfg.Clock = true, stepClock()
		got, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil)
		if err != nil {
			t.Fatalf("resume after evaluation %d: %v", k, err)
		}
		if len(got.Series) != len(want.Series) || got.Series[len(got.Series)-1] != want.Series[len(want.Series)-1] {
			t.Errorf("crash at evaluation %d: %d steps, want %d", k, len(got.Series), len(want.Series))
		}
		for _, name := range []string{runs.LogFile, runs.ResultFile, runs.CheckpointFile} {
			a, _ := os.ReadFile(filepath.Join(full.Dir, name))
			b, _ := os.ReadFile(filepath.Join(cfg.Dir, name))
			if !bytes.Equal(a, b) {
				t.Errorf("crash at evaluation %d: %s differs from the uninterrupted run's", k, name)
			}
		}
	}
}

func TestResumeRefusesOtherSettings(t *testing.T) {
	cfg := testConfig(t)
	cfg.StopParams = 3_000_000
	if _, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Ratios = true, []float64{0.1, 0.2}
	_, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil)
	if err == nil || !strings.Contains(err.Error(), "width_ratios (run [0.05,0.1,0.15,0.2], given [0.1,0.2])") {
		t.Fatalf("got %v, want a refusal naming width_ratios", err)
	}
	stored, err := LoadConfig(cfg.Dir)
	if err != nil || stored.StopParams != 3_000_000 || len(stored.Ratios) != 4 {
		t.Fatalf("LoadConfig: %+v, %v", stored, err)
	}
}

type recordingProgress struct {
	candidates, steps int
	finished          bool
}

func (p *recordingProgress) Start(int)                          {}
func (p *recordingProgress) Candidate(int, int, int, Candidate) { p.candidates++ }
func (p *recordingProgress) Step(StepRecord)                    { p.steps++ }
func (p *recordingProgress) Finish(Result)                      { p.finished = true }

func TestProgressAndPlot(t *testing.T) {
	cfg := testConfig(t)
	cfg.StopParams = 20_000_000
	p := &recordingProgress{}
	res, err := Run(context.Background(), cfg, &fakeEvaluator{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if p.steps != len(res.Series) || p.candidates < 12*p.steps || !p.finished {
		t.Fatalf("progress heard %+v for %d steps", p, len(res.Series))
	}
	if err := Plot(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(cfg.Dir, PlotFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	ok := testConfig(t)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Dir = "" }, "run directory"},
		{func(c *Config) { c.Arch = "8,2,3,2|4,1,2|4,1,4|4,1,6|32" }, "sets depths"},
		{func(c *Config) { c.Arch = "8,2,3|4,1,2|4,1,4|4,1,6|32,64" }, "sets depths or a hidden size"},
		{func(c *Config) { c.Arch = "nonsense" }, "arch"},
		{func(c *Config) { c.Hidden = 300 }, "hidden: got 300, want 1..256"},
		{func(c *Config) { c.Hidden = 4; c.Arch = "8,2,3|4,1,2|4,1,4|4,1,6|64" }, "head dim 0"},
		{func(c *Config) { c.Ratios = []float64{0.2, 0.1} }, "increasing"},
		{func(c *Config) { c.Ratios = nil }, "width ratios: got 0"},
		{func(c *Config) { c.StopParams = c.LimitParams + 1 }, "stop ≤ limit"},
		{func(c *Config) { c.Image = 100 }, "image 100 px"},
		{func(c *Config) { c.WidthFactor = 0 }, "width factor"},
	} {
		cfg := ok
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error saying %q", err, c.want)
		}
	}
}
