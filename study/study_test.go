package study

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// fakeEvaluator makes up measures and accuracies from the topology string:
// accuracy rises with the hash h in [0, 1), params equal 1000·h (a perfect
// proxy), grad_norm is -h (a perfectly wrong one), and each seed adds a
// small seed-dependent offset.
type fakeEvaluator struct {
	trains int
	// onTrain runs before each training, with the trainings done so far.
	onTrain func(done int)
}

func unit(s string) float64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return float64(h.Sum64()>>11) / (1 << 53)
}

func (f *fakeEvaluator) Measure(_ context.Context, c Candidate) (Measures, error) {
	h := unit(c.Arch)
	return Measures{
		Params: 1 + int64(1000*h), FLOPs: 7, NTKCond: runs.Float(1 / (h + 0.01)), LengthDistortion: runs.Float(h),
		GradNorm: runs.Float(-h), SNIP: 1, Synflow: runs.Float(math.Inf(1)), NASWOT: runs.Float(math.NaN()), DSS: runs.Float(h * h),
		ComplexitySeconds: 0.5, ProxySeconds: 0.25,
	}, nil
}

func (f *fakeEvaluator) Train(ctx context.Context, c Candidate, seed uint64, dir string, threads int) (Trained, error) {
	if f.onTrain != nil {
		f.onTrain(f.trains)
	}
	if err := ctx.Err(); err != nil {
		return Trained{}, err
	}
	f.trains++
	acc := 0.5 + 0.4*unit(c.Arch) + 0.01*unit(c.Arch+string(rune('a'+seed)))
	return Trained{Seed: seed, BestEpoch: 1, ValAcc: runs.Float(acc), TestAcc: runs.Float(acc - 0.01), Seconds: 10, ImagesPerS: 100}, nil
}

func fakeConfig(out string) Config {
	c := DefaultConfig()
	c.N, c.Out, c.TrainSeeds, c.Bootstrap = 8, out, []uint64{3, 4}, 200
	c.Archs = []string{"8,2,3|4,1,2|4,1,4|4,1,6|32"}
	return c
}

func TestCandidatesAreDistinctValidAndSeeded(t *testing.T) {
	c := fakeConfig("x")
	c.N = 30
	c.Archs = append(c.Archs, "8,2,3|4,1,2|4,1,4|4,1,6|32,32") // the same topology in scaled form
	cands, err := Candidates(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 31 || !cands[30].Given || cands[29].Given || cands[30].Index != 30 {
		t.Fatalf("%d candidates, last %+v", len(cands), cands[len(cands)-1])
	}
	seen := map[string]bool{}
	for _, cand := range cands[:30] {
		top, err := vit.Parse(cand.Arch)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vit.New(vit.NewSpec(top, c.Image, 10)); err != nil || seen[cand.Arch] {
			t.Errorf("%s: invalid at %d px (%v) or repeated", cand.Arch, c.Image, err)
		}
		seen[cand.Arch] = true
	}
	again, _ := Candidates(c)
	c.Seed++
	other, _ := Candidates(c)
	if !slices.Equal(again, cands) || slices.Equal(other, cands) {
		t.Error("the draw does not follow the seed")
	}
	// At 8 px the re-embeddings leave stage 4 empty: nothing is valid.
	c.Image = 8
	if _, err := Candidates(c); err == nil {
		t.Error("a draw at 8 px found topologies")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.N = 2 }, "at least 3"},
		{func(c *Config) { c.TrainSeeds = nil }, "no training seed"},
		{func(c *Config) { c.TrainSeeds = []uint64{1, 1} }, "seed 1 given twice"},
		{func(c *Config) { c.ValFraction = 0 }, "validation split"},
		{func(c *Config) { c.Archs = []string{"8,2"} }, `arch "8,2"`},
		{func(c *Config) { c.Retoken = "4x1:0.5" }, "retoken"},
		{func(c *Config) { c.Bootstrap = 10 }, "bootstrap"},
		{func(c *Config) { c.Jobs = 0 }, "jobs"},
		{func(c *Config) { c.Out = "" }, "run directory"},
	} {
		cfg := fakeConfig("x")
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want one mentioning %q", err, c.want)
		}
	}
}

func TestStudyStatistics(t *testing.T) {
	cfg := fakeConfig(filepath.Join(t.TempDir(), "study"))
	s, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Drawn != 8 || s.Pending != 0 || len(s.Given) != 1 || s.Noise == nil {
		t.Fatalf("summary %+v", s)
	}
	by := map[string]ProxyStats{}
	for _, p := range s.Proxies {
		by[p.Name] = p
	}
	// Seed offsets are small against the spread, so params (rising with h)
	// and κ (falling with h, lower is better) rank nearly perfectly and
	// grad_norm (−h) nearly perfectly wrong.
	for name, sign := range map[string]float64{"params": 1, "ntk_cond": 1, "dss": 1, "length_distortion": 1, "grad_norm": -1} {
		if tau := float64(by[name].TauVal.Value); tau*sign < 0.7 {
			t.Errorf("%s: τ %v, want near %+v", name, tau, sign)
		}
	}
	// A constant proxy has no τ; an all-+Inf or all-NaN one is constant too.
	for _, name := range []string{"snip", "synflow", "naswot", "flops"} {
		if !math.IsNaN(float64(by[name].TauVal.Value)) {
			t.Errorf("%s: τ %v for a constant proxy, want NaN", name, by[name].TauVal.Value)
		}
	}
	if p := by["params"]; p.TopValPercentile < 85 || !(p.TauVal.Lo <= p.TauVal.Value && p.TauVal.Value <= p.TauVal.Hi) {
		t.Errorf("params: top pick at percentile %v, τ %v", p.TopValPercentile, p.TauVal)
	}
	if s.Seconds.Complexity != 0.5 || s.Seconds.Proxies != 0.25 || s.Seconds.Train != 10 {
		t.Errorf("timing %+v", s.Seconds)
	}
	for _, f := range []string{ResultsFile, SummaryFile, ScatterFile, TauFile} {
		if fi, err := os.Stat(filepath.Join(cfg.Out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(cfg.Out, ResultsFile))
	if lines := strings.Count(string(csv), "\n"); lines != 10 {
		t.Errorf("results.csv has %d lines, want a header and 9 rows", lines)
	}
	if !strings.Contains(Table(s), "| asvit_rank | − |") {
		t.Errorf("table:\n%s", Table(s))
	}
}

// TestStudyResumesToTheSameResult cancels a study after each possible
// number of trainings, resumes it, and compares its report files with an
// uninterrupted study's.
func TestStudyResumesToTheSameResult(t *testing.T) {
	base := t.TempDir()
	straight := fakeConfig(filepath.Join(base, "straight"))
	if _, err := Run(context.Background(), straight, &fakeEvaluator{}, nil); err != nil {
		t.Fatal(err)
	}
	want := reportFiles(t, straight.Out)
	for _, stop := range []int{0, 5, 17} {
		cfg := fakeConfig(filepath.Join(base, "stopped", string(rune('a'+stop))))
		ctx, cancel := context.WithCancel(context.Background())
		ev := &fakeEvaluator{onTrain: func(done int) {
			if done == stop {
				cancel()
			}
		}}
		if _, err := Run(ctx, cfg, ev, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("stop at %d: err %v, want cancelled", stop, err)
		}
		cancel()
		cfg.Resume = true
		ev = &fakeEvaluator{}
		if _, err := Run(context.Background(), cfg, ev, nil); err != nil {
			t.Fatalf("resume after %d: %v", stop, err)
		}
		if ev.trains != 18-stop {
			t.Errorf("resume after %d trainings trained %d more, want %d", stop, ev.trains, 18-stop)
		}
		for name, b := range reportFiles(t, cfg.Out) {
			if !slices.Equal(b, want[name]) {
				t.Errorf("resume after %d: %s differs from the uninterrupted study's", stop, name)
			}
		}
	}
	changed := fakeConfig(straight.Out)
	changed.Resume, changed.Epochs = true, 3
	if _, err := Run(context.Background(), changed, &fakeEvaluator{}, nil); err == nil || !strings.Contains(err.Error(), "epochs") {
		t.Errorf("resume with other epochs: %v", err)
	}
}

func reportFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{ResultsFile, SummaryFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

func TestOrderNonFinite(t *testing.T) {
	got := orderNonFinite([]float64{2, math.Inf(1), math.NaN(), -1, math.Inf(-1)})
	if want := []float64{2, 3, -2, -1, -2}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := orderNonFinite([]float64{math.NaN(), math.NaN()}); got[0] != got[1] || math.IsNaN(got[0]) {
		t.Errorf("all NaN: %v", got)
	}
}

func TestRankSum(t *testing.T) {
	// κ ranks (ascending, a bad +Inf last) 2, 1, 3.5, 3.5; L^E ranks
	// (descending) 1, 4, 2.5, 2.5.
	rows := []Row{
		{Measures: Measures{NTKCond: 10, LengthDistortion: 0.3}},
		{Measures: Measures{NTKCond: 5, LengthDistortion: 0.1}},
		{Measures: Measures{NTKCond: runs.Float(math.Inf(1)), LengthDistortion: 0.2}},
		{Measures: Measures{NTKCond: runs.Float(math.Inf(1)), LengthDistortion: 0.2}},
	}
	got := rankSum(rows)
	if want := []float64{3, 5, 6, 6}; !slices.Equal(got, want) {
		t.Errorf("rank sums %v, want %v", got, want)
	}
}

// countingEvaluator counts measurements and reports a changed proxy.
type countingEvaluator struct {
	fakeEvaluator
	measured int
}

func (c *countingEvaluator) Measure(ctx context.Context, cand Candidate) (Measures, error) {
	c.measured++
	m, err := c.fakeEvaluator.Measure(ctx, cand)
	m.SNIP = runs.Float(unit(cand.Arch))
	return m, err
}

func TestRemeasureKeepsTrainings(t *testing.T) {
	cfg := fakeConfig(filepath.Join(t.TempDir(), "study"))
	if _, err := Run(context.Background(), cfg, &fakeEvaluator{}, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.Remeasure = true, true
	ev := &countingEvaluator{}
	s, err := Run(context.Background(), cfg, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.measured != 9 || ev.trains != 0 {
		t.Errorf("remeasuring measured %d and trained %d topologies, want 9 and 0", ev.measured, ev.trains)
	}
	for _, p := range s.Proxies {
		if p.Name == "snip" && math.IsNaN(float64(p.TauVal.Value)) {
			t.Error("snip still constant: the new measurement does not count")
		}
	}
}
