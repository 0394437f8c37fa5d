package search

import (
	"math"
	"testing"

	"github.com/asvit/asvit/trainfree"
)

// step is one measured network and the reward a hand computation gives it.
type rewardStep struct {
	kappa, le float64
	bad       bool
	want      float64
}

// rel is the relative change (v - prev) / (range + 1e-6), written out.
func rel(v, prev, lo, hi float64) float64 { return (v - prev) / (hi - lo + 1e-6) }

func TestRewardHistories(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		window int
		steps  []rewardStep
	}{
		{"plain, window wider than history", 20, []rewardStep{
			{10, 1, false, 0},
			{20, 3, false, -rel(20, 10, 10, 20) + rel(3, 1, 1, 3)},
			{15, 2, false, -rel(15, 20, 10, 20) + rel(2, 3, 1, 3)},
		}},
		{"window of 2 forgets older values", 2, []rewardStep{
			{10, 1, false, 0},
			{100, 5, false, -rel(100, 10, 10, 100) + rel(5, 1, 1, 5)},
			{90, 4, false, -rel(90, 100, 90, 100) + rel(4, 5, 4, 5)},
		}},
		{"bad takes the max, later larger good raises it", 3, []rewardStep{
			{10, 1, false, 0},
			{20, 3, false, -rel(20, 10, 10, 20) + rel(3, 1, 1, 3)},
			// bad: κ enters as max = 20; L^E as measured
			{nan, 2, true, -rel(20, 20, 10, 20) + rel(2, 3, 1, 3)},
			// 30 > 20: entry 2 is raised to 30 first, so the previous value is 30
			{30, 6, false, -rel(30, 30, 20, 30) + rel(6, 2, 2, 6)},
			// window 2..4 is (30 raised, 30, 25): range 5, not 10 as without the raise
			{25, 5, false, -rel(25, 30, 25, 30) + rel(5, 6, 2, 6)},
		}},
		{"bad flag with a finite κ still takes the max", 20, []rewardStep{
			{5, 1, false, 0},
			{1, 1, true, -rel(5, 5, 5, 5)},
			{3, 1, false, -rel(3, 5, 3, 5)},
		}},
		{"a smaller good κ raises nothing", 20, []rewardStep{
			{10, 1, false, 0},
			{math.Inf(1), 1, false, 0}, // not finite: bad, κ = 10
			{8, 1, false, -rel(8, 10, 8, 10)},
			{12, 1, false, -rel(12, 8, 8, 12)}, // raises entry 1 to 12: window (10, 12, 8, 12)
			{11, 1, false, -rel(11, 12, 8, 12)},
		}},
		{"bad before any good", 20, []rewardStep{
			{nan, 4, true, 0},
			{nan, 5, true, rel(5, 4, 4, 5)}, // both placeholders: κ change 0
			{7, 3, false, rel(3, 5, 3, 5)},  // raises both to 7: κ change 0
			{9, 3, false, -rel(9, 7, 7, 9)},
		}},
		{"non-finite L^E enters as the smallest so far", 20, []rewardStep{
			{10, 4, false, 0},
			{10, 2, false, rel(2, 4, 2, 4)},
			{10, nan, false, rel(2, 2, 2, 4)},
			{10, 3, false, rel(3, 2, 2, 4)},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := rewardHistory{Window: c.window}
			for i, s := range c.steps {
				got := h.push(trainfree.Measure{NTKCond: s.kappa, LengthDistortion: s.le, Bad: s.bad})
				// The formulas are the same arithmetic in the same order, up to
				// the sign handling of a sum of two terms: allow a few ulps.
				if math.Abs(got-s.want) > 1e-12*max(1, math.Abs(s.want)) {
					t.Errorf("step %d: reward %.17g, want %.17g", i, got, s.want)
				}
			}
		})
	}
}

func TestRewardHistoryKeepsRaisedValues(t *testing.T) {
	h := rewardHistory{Window: 20}
	for _, m := range []trainfree.Measure{
		{NTKCond: 5, LengthDistortion: 1}, {NTKCond: math.NaN(), LengthDistortion: 1, Bad: true},
		{NTKCond: 9, LengthDistortion: 1}, {NTKCond: math.NaN(), LengthDistortion: 1, Bad: true},
	} {
		h.push(m)
	}
	want := []float64{5, 9, 9, 9}
	for i, k := range h.Kappa {
		if k != want[i] {
			t.Fatalf("κ history %v, want %v", h.Kappa, want)
		}
	}
}
