package rankstat

import (
	"cmp"
	"fmt"
	"math"
)

// KendallTauB returns Kendall's τ-b of paired samples (ties in either
// variable handled as τ-b, as scipy.stats.kendalltau's default). NaN when
// either variable is constant. It needs at least 2 finite pairs and runs in
// O(n log n) (Knight's algorithm).
func KendallTauB(x, y []float64) (float64, error) {
	if err := checkPairs(x, y, 2); err != nil {
		return math.NaN(), err
	}
	n := len(x)
	order := sortedOrder(n, func(a, b int) int {
		if c := cmp.Compare(x[a], x[b]); c != 0 {
			return c
		}
		return cmp.Compare(y[a], y[b])
	})
	tiedInX := tiedPairs(order, func(a, b int) bool { return x[a] == x[b] })
	tiedInBoth := tiedPairs(order, func(a, b int) bool { return x[a] == x[b] && y[a] == y[b] })
	// Within a run of equal x the pairs are already in y order, and equal y
	// values are never swapped, so each inversion is one discordant pair.
	discordant := sortCountingInversions(order, y)
	tiedInY := tiedPairs(order, func(a, b int) bool { return y[a] == y[b] })
	return tauB(int64(n)*int64(n-1)/2, tiedInX, tiedInY, tiedInBoth, discordant), nil
}

// tauB returns τ-b from pair counts: all pairs, pairs tied in x (including
// those tied in both), tied in y (likewise), tied in both, and discordant.
func tauB(pairs, tiedInX, tiedInY, tiedInBoth, discordant int64) float64 {
	if tiedInX == pairs || tiedInY == pairs {
		return math.NaN()
	}
	// concordant − discordant, with concordant = pairs not tied in x or y − discordant.
	difference := pairs - tiedInX - tiedInY + tiedInBoth - 2*discordant
	tau := float64(difference) / math.Sqrt(float64(pairs-tiedInX)*float64(pairs-tiedInY))
	return clampUnit(tau)
}

// tiedPairs returns the number of pairs within the runs of order whose
// neighbours are equal under equal.
func tiedPairs(order []int, equal func(a, b int) bool) int64 {
	var pairs int64
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && equal(order[start], order[end]) {
			end++
		}
		run := int64(end - start)
		pairs += run * (run - 1) / 2
		start = end
	}
	return pairs
}

// sortCountingInversions sorts order by key with a stable bottom-up merge
// sort and returns how many pairs i < j had key[order[i]] > key[order[j]].
func sortCountingInversions(order []int, key []float64) int64 {
	n := len(order)
	buf := make([]int, n)
	var inversions int64
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n-width; lo += 2 * width {
			mid, hi := lo+width, min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if key[order[j]] < key[order[i]] {
					// order[j] jumps ahead of every element left in the first half.
					inversions += int64(mid - i)
					buf[k] = order[j]
					j++
				} else {
					buf[k] = order[i]
					i++
				}
				k++
			}
			k += copy(buf[k:], order[i:mid])
			copy(buf[k:], order[j:hi])
			copy(order[lo:hi], buf[lo:hi])
		}
	}
	return inversions
}

// Spearman returns Spearman's ρ: Pearson correlation of average ranks. NaN
// when a variable is constant. It needs at least 2 finite pairs.
func Spearman(x, y []float64) (float64, error) {
	if err := checkPairs(x, y, 2); err != nil {
		return math.NaN(), err
	}
	rx, ry := Ranks(x), Ranks(y)
	// Average ranks always sum to n(n+1)/2, so both means are exact.
	mean := float64(len(x)+1) / 2
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mean, ry[i]-mean
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN(), nil
	}
	return clampUnit(sxy / math.Sqrt(sxx*syy)), nil
}

// checkPairs reports why x and y are not a sample of at least minPairs
// finite pairs.
func checkPairs(x, y []float64, minPairs int) error {
	if len(x) != len(y) {
		return fmt.Errorf("rankstat: x has %d values and y has %d; paired samples need equal lengths", len(x), len(y))
	}
	if len(x) < minPairs {
		return fmt.Errorf("rankstat: %d pairs; need at least %d", len(x), minPairs)
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return fmt.Errorf("rankstat: x[%d] is %v; values must be finite", i, x[i])
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return fmt.Errorf("rankstat: y[%d] is %v; values must be finite", i, y[i])
		}
	}
	return nil
}

// clampUnit limits a correlation to [-1, 1] against rounding.
func clampUnit(r float64) float64 {
	return max(-1, min(1, r))
}
