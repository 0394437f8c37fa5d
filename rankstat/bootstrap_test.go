package rankstat

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBootstrapReproducible(t *testing.T) {
	x, y := correlatedSample(40, 0.5, 0.1, 7)
	first, err := Bootstrap(x, y, KendallTauB, 500, 0.95, 42)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Bootstrap(x, y, KendallTauB, 500, 0.95, 42)
	if err != nil || again != first {
		t.Errorf("same seed: %+v, %v; first run gave %+v", again, err, first)
	}
	other, err := Bootstrap(x, y, KendallTauB, 500, 0.95, 43)
	if err != nil || other == first {
		t.Errorf("seed 43 gave %+v, %v; seed 42 gave %+v, want a different interval", other, err, first)
	}
}

func TestBootstrapContainsEstimate(t *testing.T) {
	x, y := correlatedSample(50, 0.8, 0, 3)
	for _, f := range []struct {
		name string
		fn   func(x, y []float64) (float64, error)
	}{{"KendallTauB", KendallTauB}, {"Spearman", Spearman}} {
		estimate, err := f.fn(x, y)
		if err != nil {
			t.Fatal(err)
		}
		in, err := Bootstrap(x, y, f.fn, 1000, 0.95, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !(in.Lo < estimate && estimate < in.Hi) || in.Lo <= 0 || in.Hi > 1 || in.Resamples != 1000 {
			t.Errorf("%s = %v, 95%% interval %+v: want 0 < Lo < estimate < Hi ≤ 1 from 1000 resamples", f.name, estimate, in)
		}
		narrow, err := Bootstrap(x, y, f.fn, 1000, 0.5, 1)
		if err != nil || !(narrow.Lo > in.Lo && narrow.Hi < in.Hi) {
			t.Errorf("%s: 50%% interval %+v, %v does not lie inside the 95%% one %+v", f.name, narrow, err, in)
		}
	}
}

// TestBootstrapCoverage checks that the 90% interval for Kendall's τ covers
// the population value 2/π·asin(ρ) of a bivariate normal about 90% of the
// time. The percentile bootstrap is only approximately calibrated, so the
// band is wide; the samples are seeded, so the outcome does not vary.
func TestBootstrapCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("coverage needs many bootstraps")
	}
	const rho, trials = 0.6, 100
	tau := 2 / math.Pi * math.Asin(rho)
	covered := 0
	for trial := range trials {
		x, y := correlatedSample(50, rho, 0, uint64(1000+trial))
		in, err := Bootstrap(x, y, KendallTauB, 400, 0.9, uint64(trial))
		if err != nil {
			t.Fatal(err)
		}
		if in.Lo <= tau && tau <= in.Hi {
			covered++
		}
	}
	t.Logf("covered %d of %d", covered, trials)
	if covered < 80 || covered > 98 {
		t.Errorf("the 90%% interval covered τ = %.4f in %d of %d trials", tau, covered, trials)
	}
}

func TestBootstrapSkipsNonFinite(t *testing.T) {
	// x has one value that differs, so resamples that miss index 4 have a
	// constant x and a NaN τ: about (4/5)^5 ≈ 33% of them.
	x, y := []float64{0, 0, 0, 0, 1}, []float64{1, 2, 3, 4, 5}
	calls, nonFinite := 0, 0
	counting := func(x, y []float64) (float64, error) {
		calls++
		tau, err := KendallTauB(x, y)
		if calls%50 == 0 {
			tau = math.Inf(1) // every 50th call: ±Inf is skipped too
		}
		if math.IsNaN(tau) || math.IsInf(tau, 0) {
			nonFinite++
		}
		return tau, err
	}
	in, err := Bootstrap(x, y, counting, 1000, 0.9, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d non-finite of %d, interval %+v", nonFinite, calls, in)
	if calls != 1000 || in.Resamples != 1000-nonFinite || nonFinite < 250 || nonFinite > 450 {
		t.Errorf("%d calls, %d non-finite, interval %+v: want Resamples = 1000 − non-finite", calls, nonFinite, in)
	}
	if !(in.Lo >= -1 && in.Lo <= in.Hi && in.Hi <= 1) {
		t.Errorf("interval %+v is not inside [-1, 1]", in)
	}
}

func TestBootstrapErrors(t *testing.T) {
	x, y := []float64{1, 2, 3, 4}, []float64{2, 1, 4, 3}
	failing := func(x, y []float64) (float64, error) { return 0, errors.New("broken statistic") }
	nan := func(x, y []float64) (float64, error) { return math.NaN(), nil }
	for _, c := range []struct {
		name      string
		x, y      []float64
		stat      func(x, y []float64) (float64, error)
		resamples int
		level     float64
		message   string
	}{
		{"nil stat", x, y, nil, 10, 0.9, "stat is nil"},
		{"length mismatch", x, y[:3], KendallTauB, 10, 0.9, "x has 4 values and y has 3"},
		{"two pairs", x[:2], y[:2], KendallTauB, 10, 0.9, "2 pairs; need at least 3"},
		{"NaN input", []float64{1, 2, math.NaN()}, y[:3], KendallTauB, 10, 0.9, "x[2] is NaN"},
		{"Inf input", x, []float64{1, 2, 3, math.Inf(-1)}, KendallTauB, 10, 0.9, "y[3] is -Inf"},
		{"no resamples", x, y, KendallTauB, 0, 0.9, "0 bootstrap resamples"},
		{"negative resamples", x, y, KendallTauB, -5, 0.9, "-5 bootstrap resamples"},
		{"level 0", x, y, KendallTauB, 10, 0, "level 0 is outside (0, 1)"},
		{"level 1", x, y, KendallTauB, 10, 1, "level 1 is outside (0, 1)"},
		{"level 95", x, y, KendallTauB, 10, 95, "level 95 is outside (0, 1)"},
		{"level NaN", x, y, KendallTauB, 10, math.NaN(), "level NaN is outside (0, 1)"},
		{"stat error", x, y, failing, 10, 0.9, "resample 0: broken statistic"},
		{"all NaN", x, y, nan, 10, 0.9, "none of the 10 bootstrap resamples gave a finite statistic"},
	} {
		in, err := Bootstrap(c.x, c.y, c.stat, c.resamples, c.level, 1)
		if err == nil || !strings.Contains(err.Error(), c.message) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.message)
		}
		if !math.IsNaN(in.Lo) || !math.IsNaN(in.Hi) || in.Resamples != 0 {
			t.Errorf("%s: interval %+v with an error, want NaN bounds", c.name, in)
		}
	}
}

func TestQuantileIsLinear(t *testing.T) {
	// numpy.percentile([1, 2, 3, 4], q) with the default "linear" method.
	sorted := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{
		{0, 1}, {0.025, 1.075}, {0.25, 1.75}, {0.5, 2.5}, {0.975, 3.925}, {1, 4},
	} {
		if got := quantile(sorted, c.p); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("quantile(%v, %v) = %v, want %v", sorted, c.p, got, c.want)
		}
	}
	if got := quantile([]float64{7}, 0.975); got != 7 {
		t.Errorf("quantile of one value = %v, want 7", got)
	}
}
