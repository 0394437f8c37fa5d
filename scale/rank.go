package scale

import (
	"math"
	"slices"

	"github.com/asvit/asvit/trainfree"
)

// Names of the measures in StepRecord.TieBreak.
const (
	TieNTKCond          = "ntk_cond"
	TieLengthDistortion = "length_distortion"
)

// choose ranks measured candidates and returns the index of the one to
// grow into, their ranks, and which measure broke a tie ("" when the
// lowest rank sum was unique).
//
// κ is ranked ascending and L^E descending, with dense ranks as the
// authors' code assigns them: equal values share a rank and the next value
// takes the next rank (scipy's rankdata method "dense", not "min"). A bad
// network, or a measure that is not finite, ranks after every finite value
// of its measure. The lowest rank sum wins.
//
// Ties on the sum are broken by the measure with the larger relative range
// (max - min)/max over all measured candidates (finite values only; 0 when
// the maximum is not positive), κ on equal ranges. Among the tied
// candidates the best value in that measure's direction wins (lowest κ or
// highest L^E); candidates equal in it are equal in both measures, and the
// first in candidate order wins. The authors' code compares only the first
// two tied candidates and always takes the smaller value, which for L^E is
// the worse one.
func choose(ms []trainfree.Measure) (best int, ranks []Ranks, tie string) {
	kKeys, lKeys := make([]float64, len(ms)), make([]float64, len(ms))
	for i, m := range ms {
		kKeys[i] = lowerIsBetter(m.NTKCond, m.Bad, false)
		lKeys[i] = lowerIsBetter(m.LengthDistortion, false, true)
	}
	rk, rl := denseRanks(kKeys), denseRanks(lKeys)
	ranks = make([]Ranks, len(ms))
	var tied []int
	for i := range ms {
		ranks[i] = Ranks{NTKCond: rk[i], LengthDistortion: rl[i], Sum: rk[i] + rl[i]}
		switch {
		case len(tied) == 0 || ranks[i].Sum < ranks[tied[0]].Sum:
			tied = []int{i}
		case ranks[i].Sum == ranks[tied[0]].Sum:
			tied = append(tied, i)
		}
	}
	if len(tied) == 1 {
		return tied[0], ranks, ""
	}
	keys, tie := kKeys, TieNTKCond
	if relativeRange(lKeys, true) > relativeRange(kKeys, false) {
		keys, tie = lKeys, TieLengthDistortion
	}
	best = tied[0]
	for _, i := range tied[1:] {
		if keys[i] < keys[best] {
			best = i
		}
	}
	return best, ranks, tie
}

// lowerIsBetter maps a measure to a sort key, lower being better: v itself,
// or -v when higher is better, and +Inf for a bad or non-finite value.
func lowerIsBetter(v float64, bad, higherIsBetter bool) float64 {
	if bad || math.IsNaN(v) || math.IsInf(v, 0) {
		return math.Inf(1)
	}
	if higherIsBetter {
		return -v
	}
	return v
}

// denseRanks ranks keys ascending from 1; equal keys share a rank and the
// next key takes the next rank.
func denseRanks(keys []float64) []int {
	distinct := slices.Compact(slices.Sorted(slices.Values(keys)))
	out := make([]int, len(keys))
	for i, k := range keys {
		r, _ := slices.BinarySearch(distinct, k)
		out[i] = r + 1
	}
	return out
}

// relativeRange returns (max - min)/max of the measure behind the finite
// keys, negated back when negated says the keys are -v; 0 when there are
// none or the maximum is not positive.
func relativeRange(keys []float64, negated bool) float64 {
	lo, hi, seen := math.Inf(1), math.Inf(-1), false
	for _, k := range keys {
		if math.IsInf(k, 1) {
			continue
		}
		v := k
		if negated {
			v = -k
		}
		lo, hi, seen = min(lo, v), max(hi, v), true
	}
	if !seen || hi <= 0 {
		return 0
	}
	return (hi - lo) / hi
}
