// Package rankstat computes the rank statistics of a study that correlates
// training-free proxies with trained accuracy: Kendall's τ-b, Spearman's ρ,
// percentile bootstrap intervals for either, and percentile ranks.
//
// # Conventions
//
// The results match SciPy's defaults. [Ranks] gives tied values their
// average rank, as scipy.stats.rankdata(method="average"). [KendallTauB] is
// scipy.stats.kendalltau with variant "b":
//
//	τ-b = (P − Q) / √((P + Q + T)(P + Q + U))
//
// where P and Q count the concordant and discordant pairs, T the pairs tied
// only in x and U the pairs tied only in y; a pair tied in both counts in
// neither. [Spearman] is scipy.stats.spearmanr: the Pearson correlation of
// the average ranks. [PercentileRank] is scipy.stats.percentileofscore with
// kind="mean".
//
// # Cost
//
// KendallTauB uses Knight's algorithm: one sort by (x, y), then a merge sort
// by y that counts the discordant pairs as inversions, O(n log n) time and
// O(n) memory. Spearman is O(n log n) as well.
//
// # Undefined and invalid input
//
// Both correlations are undefined when x or y is constant; they then return
// NaN and no error, as SciPy does. Inputs that make no sample (slices of
// different lengths, too few pairs, NaN or ±Inf values) give an error, which
// names the index of a non-finite value; no function panics.
//
// # Bootstrap
//
// [Bootstrap] resamples the pairs with replacement and reports the
// percentile interval: the (1−level)/2 and (1+level)/2 quantiles of the
// finite resampled statistics, interpolated linearly between order
// statistics (NumPy's default percentile). The resamples are drawn from a
// math/rand/v2 PCG source seeded with the given seed, so the same inputs,
// seed and Go release give the same interval.
package rankstat
