package scale

import (
	"math"
	"slices"
	"testing"

	"github.com/asvit/asvit/trainfree"
)

func measures(kappa, le []float64) []trainfree.Measure {
	ms := make([]trainfree.Measure, len(kappa))
	for i := range kappa {
		ms[i] = trainfree.Measure{NTKCond: kappa[i], LengthDistortion: le[i]}
	}
	return ms
}

func TestChoose(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name    string
		ms      []trainfree.Measure
		best    int
		tie     string
		kRanks  []int
		leRanks []int
	}{
		{"unique lowest sum", measures([]float64{3, 1, 2}, []float64{1, 3, 2}), 1, "", []int{3, 1, 2}, []int{3, 1, 2}},
		// Dense ranks give A and C the sum 3 (min ranks would give C 4 and
		// make A win); L^E's range 8/9 beats κ's 2/3, so the higher L^E wins.
		{"dense ranks, tie to the higher L^E", measures([]float64{1, 1, 2, 3}, []float64{5, 4, 9, 1}), 2, TieLengthDistortion,
			[]int{1, 1, 2, 3}, []int{2, 3, 1, 4}},
		// All three tie on 4; κ's range 2/3 beats L^E's 0.2, and the best κ
		// is the third tied candidate, which the authors' code never looks at.
		{"three-way tie to the lowest κ", measures([]float64{2, 3, 1}, []float64{9, 10, 8}), 2, TieNTKCond,
			[]int{2, 3, 1}, []int{2, 1, 3}},
		{"equal ranges favour κ", measures([]float64{1, 2}, []float64{1, 2}), 0, TieNTKCond, []int{1, 2}, []int{2, 1}},
		{"all equal: first candidate", measures([]float64{4, 4, 4}, []float64{2, 2, 2}), 0, TieNTKCond, []int{1, 1, 1}, []int{1, 1, 1}},
		{"bad and non-finite rank last", []trainfree.Measure{
			{NTKCond: 1, LengthDistortion: nan},
			{NTKCond: nan, LengthDistortion: 9, Bad: true},
			{NTKCond: 2, LengthDistortion: 9},
			{NTKCond: 3, LengthDistortion: 5},
			{NTKCond: 0.5, LengthDistortion: 1, Bad: true}, // κ finite but flagged
		}, 2, "", []int{1, 4, 2, 3, 4}, []int{4, 1, 1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			best, ranks, tie := choose(c.ms)
			var rk, rl []int
			for i, r := range ranks {
				rk, rl = append(rk, r.NTKCond), append(rl, r.LengthDistortion)
				if r.Sum != r.NTKCond+r.LengthDistortion {
					t.Errorf("candidate %d: sum %d of %d and %d", i, r.Sum, r.NTKCond, r.LengthDistortion)
				}
			}
			if best != c.best || tie != c.tie || !slices.Equal(rk, c.kRanks) || !slices.Equal(rl, c.leRanks) {
				t.Errorf("chose %d (tie %q), κ ranks %v, L^E ranks %v; want %d (%q), %v, %v",
					best, tie, rk, rl, c.best, c.tie, c.kRanks, c.leRanks)
			}
		})
	}
}

func TestRelativeRange(t *testing.T) {
	if got := relativeRange([]float64{-9, -3, math.Inf(1)}, true); math.Abs(got-6.0/9) > 1e-15 {
		t.Errorf("L^E 9, 3 and a bad one: %v, want 2/3", got)
	}
	for _, keys := range [][]float64{{}, {math.Inf(1)}, {-1, 0}} {
		if got := relativeRange(keys, false); got != 0 {
			t.Errorf("%v: %v, want 0 (no positive maximum)", keys, got)
		}
	}
}
