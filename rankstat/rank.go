package rankstat

import (
	"cmp"
	"math"
	"slices"
)

// Ranks returns the 1-based ranks of x, ties given their average rank (as
// scipy.stats.rankdata 'average'). NaNs rank below every number and tie with
// one another; -0 and +0 tie.
func Ranks(x []float64) []float64 {
	order := sortedOrder(len(x), func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	ranks := make([]float64, len(x))
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && cmp.Compare(x[order[end]], x[order[start]]) == 0 {
			end++
		}
		// Positions start..end-1 hold ranks start+1..end; all get their mean.
		average := float64(start+1+end) / 2
		for _, i := range order[start:end] {
			ranks[i] = average
		}
		start = end
	}
	return ranks
}

// PercentileRank returns 100 × (count of values below v + 0.5 × count equal
// to v) / len(values), as scipy.stats.percentileofscore with kind="mean".
// It is NaN when values is empty or when v or any value is NaN.
func PercentileRank(values []float64, v float64) float64 {
	if len(values) == 0 || math.IsNaN(v) {
		return math.NaN()
	}
	below, equal := 0, 0
	for _, w := range values {
		switch {
		case math.IsNaN(w):
			return math.NaN()
		case w < v:
			below++
		case w == v:
			equal++
		}
	}
	return 100 * (float64(below) + 0.5*float64(equal)) / float64(len(values))
}

// sortedOrder returns the indices 0..n-1 sorted by compare.
func sortedOrder(n int, compare func(a, b int) int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, compare)
	return order
}
