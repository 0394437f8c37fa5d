package rankstat

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a two-sided confidence interval.
type Interval struct {
	Lo, Hi float64
	// Resamples is the number of resamples used: those whose statistic was finite.
	Resamples int
}

// pcgStream is the second PCG seed word, fixed so that the seed alone picks
// the sequence.
const pcgStream = 0x9e3779b97f4a7c15

// Bootstrap returns the percentile bootstrap interval at the given level
// (e.g. 0.95) of stat over resamples paired resamples (i.i.d. with
// replacement) of (x, y), drawn from seed with math/rand/v2 PCG so it is
// reproducible. Resamples whose statistic is NaN or ±Inf are skipped and not
// counted; an error from stat stops the bootstrap and is returned.
//
// stat is called with buffers that are reused for the next resample, so it
// must not keep them. x and y need at least 3 finite pairs.
func Bootstrap(x, y []float64, stat func(x, y []float64) (float64, error), resamples int, level float64, seed uint64) (Interval, error) {
	failed := Interval{Lo: math.NaN(), Hi: math.NaN()}
	if stat == nil {
		return failed, fmt.Errorf("rankstat: bootstrap needs a statistic; stat is nil")
	}
	if err := checkPairs(x, y, 3); err != nil {
		return failed, err
	}
	if resamples < 1 {
		return failed, fmt.Errorf("rankstat: %d bootstrap resamples; need at least 1", resamples)
	}
	if !(level > 0 && level < 1) {
		return failed, fmt.Errorf("rankstat: confidence level %v is outside (0, 1)", level)
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	n := len(x)
	bx, by := make([]float64, n), make([]float64, n)
	values := make([]float64, 0, resamples)
	for r := range resamples {
		for i := range n {
			j := rng.IntN(n)
			bx[i], by[i] = x[j], y[j]
		}
		v, err := stat(bx, by)
		if err != nil {
			return failed, fmt.Errorf("rankstat: bootstrap resample %d: %w", r, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		values = append(values, v)
	}
	if len(values) == 0 {
		return failed, fmt.Errorf("rankstat: none of the %d bootstrap resamples gave a finite statistic", resamples)
	}
	slices.Sort(values)
	tail := (1 - level) / 2
	return Interval{
		Lo:        quantile(values, tail),
		Hi:        quantile(values, 1-tail),
		Resamples: len(values),
	}, nil
}

// quantile returns the p-quantile of sorted values, interpolated linearly
// between order statistics (NumPy's default "linear" method).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
