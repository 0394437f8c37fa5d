package rankstat

import (
	"cmp"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// tol is the accepted difference from a reference value: a few ulps of 1.
const tol = 1e-14

type pairCase struct {
	name string
	x, y []float64
	want float64
}

// Hand-computed cases. Pair counts: C concordant, D discordant, Tx tied only
// in x, Ty tied only in y, Txy tied in both; nx and ny are the pairs tied in
// x and in y including Txy, n0 = n(n−1)/2, and
// τ-b = (C − D) / √((n0 − nx)(n0 − ny)).
var kendallHandCases = []pairCase{
	// No ties: 10 pairs, C=10.
	{"perfect", []float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50}, 1},
	{"reversed", []float64{1, 2, 3, 4, 5}, []float64{5, 4, 3, 2, 1}, -1},
	// Ties in x: C=5, D=0, Tx=1 (pair 0,1); n0=6, nx=1, ny=0 → 5/√30.
	{"ties in x", []float64{1, 1, 2, 3}, []float64{1, 2, 3, 4}, 5 / math.Sqrt(30)},
	// Ties in y: C=7, D=2 (pairs 0,1 and 3,4), Ty=1 (pair 0,2); n0=10,
	// nx=0, ny=1 → 5/√90.
	{"ties in y", []float64{1, 2, 3, 4, 5}, []float64{3, 1, 3, 5, 4}, 5 / math.Sqrt(90)},
	// Ties in both, none joint: C=5, D=1 (pair 1,2), Tx=2 (0,1 and 2,3),
	// Ty=2 (0,2 and 1,3); n0=10, nx=2, ny=2 → 4/8.
	{"ties in both", []float64{1, 1, 2, 2, 3}, []float64{1, 2, 1, 2, 3}, 0.5},
	// A joint tie: C=6, D=0, Tx=2 (0,2 and 1,2), Ty=1 (2,3), Txy=1 (0,1);
	// n0=10, nx=3, ny=2 → 6/√56.
	{"joint tie", []float64{1, 1, 1, 2, 3}, []float64{1, 1, 2, 2, 3}, 6 / math.Sqrt(56)},
	// Two pairs, one discordant.
	{"two pairs", []float64{0, 1}, []float64{1, 0}, -1},
}

// Hand-computed Spearman cases: ranks rx, ry with mean m = (n+1)/2,
// ρ = Σ(rx−m)(ry−m) / √(Σ(rx−m)² Σ(ry−m)²).
var spearmanHandCases = []pairCase{
	{"perfect", []float64{1, 2, 3, 4, 5}, []float64{-3, 0, 1, 7, 9}, 1},
	{"reversed", []float64{1, 2, 3, 4, 5}, []float64{9, 7, 1, 0, -3}, -1},
	// rx = [1.5 1.5 3 4], ry = [1 2 3 4]: Sxy = 4.5, Sxx = 4.5, Syy = 5.
	{"ties in x", []float64{1, 1, 2, 3}, []float64{1, 2, 3, 4}, 4.5 / math.Sqrt(22.5)},
	// rx = [1..5], ry = [2.5 1 2.5 5 4]: Sxy = 7, Sxx = 10, Syy = 9.5.
	{"ties in y", []float64{1, 2, 3, 4, 5}, []float64{3, 1, 3, 5, 4}, 7 / math.Sqrt(95)},
	// rx = [1.5 1.5 3.5 3.5 5], ry = [1.5 3.5 1.5 3.5 5]: Sxy = 5, Sxx = Syy = 9.
	{"ties in both", []float64{1, 1, 2, 2, 3}, []float64{1, 2, 1, 2, 3}, 5.0 / 9},
	// rx = [2 2 2 4 5], ry = [1.5 1.5 3.5 3.5 5]: Sxy = 7, Sxx = 8, Syy = 9.
	{"joint tie", []float64{1, 1, 1, 2, 3}, []float64{1, 1, 2, 2, 3}, 7 / math.Sqrt(72)},
	{"two pairs", []float64{0, 1}, []float64{1, 0}, -1},
}

// SciPy's published values. scipy was not installed where these tests were
// written, so they are taken from SciPy's docstrings and from
// scipy/stats/tests/test_stats.py (test_kendalltau, TestKendallTauAlternative),
// each checked to the digits published.
var kendallScipyCases = []struct {
	pairCase
	tol float64
}{
	// kendalltau docstring and test_kendalltau: "tau-b with some ties".
	{pairCase{"docstring", []float64{12, 2, 1, 12, 2}, []float64{1, 4, 7, 1, 0}, -0.47140452079103173}, tol},
	// test_kendalltau: Kendall (1970), where variants b and c differ.
	{pairCase{"Kendall 1970", []float64{1, 2, 2, 4, 4, 6, 6, 8, 9, 9}, []float64{1, 2, 4, 4, 4, 4, 8, 8, 8, 10}, 0.85895569}, 1e-8},
	// test_kendalltau: no ties, con−dis close to zero.
	{pairCase{"near zero", []float64{5, 2, 1, 3, 6, 4, 7}, []float64{5, 2, 6, 3, 1, 7, 4}, -0.14285714286}, 1e-11},
	{pairCase{"near zero 2", []float64{2, 1, 3, 6, 4, 7, 8}, []float64{2, 6, 3, 1, 8, 7, 4}, 0.047619047619}, 1e-11},
	// test_kendalltau: no ties, con−dis equal to zero.
	{pairCase{"zero", []float64{5, 2, 1, 3, 6, 4, 7, 8}, []float64{5, 2, 6, 3, 1, 8, 7, 4}, 0}, tol},
	// test_kendalltau: arange(10) with y[1], y[2] swapped, then y[5], y[6].
	{pairCase{"one swap", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{0, 2, 1, 3, 4, 5, 6, 7, 8, 9}, 0.9555555555555556}, tol},
	{pairCase{"two swaps", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{0, 2, 1, 3, 4, 6, 5, 7, 8, 9}, 0.9111111111111111}, tol},
	// test_kendalltau: "this should result in 1 for taub".
	{pairCase{"tied ones", []float64{1, 1, 2}, []float64{1, 1, 2}, 1}, tol},
	// TestKendallTauAlternative.test_against_R_lt_171: Hollander & Wolfe (1973).
	{pairCase{"Hollander Wolfe",
		[]float64{44.4, 45.9, 41.9, 53.3, 44.7, 44.1, 50.7, 45.2, 60.1},
		[]float64{2.6, 3.1, 2.5, 5.0, 3.6, 4.0, 5.2, 2.8, 3.8},
		0.4444444444444445}, tol},
	{pairCase{"R c1", []float64{1, 2, 3, 4}, []float64{1, 2, 4, 3}, 0.6666666666666667}, tol},
	{pairCase{"R no correlation", []float64{1, 2, 3, 4, 5, 6, 7, 8}, []float64{8, 6, 1, 3, 2, 5, 4, 7}, 0}, tol},
}

var spearmanScipyCases = []pairCase{
	// spearmanr docstring: spearmanr([1,2,3,4,5], [5,6,7,8,7]).
	{"docstring", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}, 0.8207826816681233},
	// TestCorrSpearmanrTies.test_tie1 checks spearmanr against pearsonr of
	// the ranks [1 2 3 4] and [1 2.5 2.5 4]: 4.5 / √(5 × 4.5) = √0.9.
	{"test_tie1", []float64{1, 2, 3, 4}, []float64{1, 2, 2, 3}, 0.9486832980505138},
}

func checkPairCase(t *testing.T, fn string, f func(x, y []float64) (float64, error), c pairCase, tolerance float64) {
	t.Helper()
	got, err := f(c.x, c.y)
	if err != nil || math.Abs(got-c.want) > tolerance {
		t.Errorf("%s %s: got %v, %v; want %v", fn, c.name, got, err, c.want)
	}
}

func TestKendallTauBHand(t *testing.T) {
	for _, c := range kendallHandCases {
		checkPairCase(t, "KendallTauB", KendallTauB, c, tol)
	}
}

func TestSpearmanHand(t *testing.T) {
	for _, c := range spearmanHandCases {
		checkPairCase(t, "Spearman", Spearman, c, tol)
	}
}

func TestKendallTauBScipy(t *testing.T) {
	for _, c := range kendallScipyCases {
		checkPairCase(t, "KendallTauB", KendallTauB, c.pairCase, c.tol)
	}
}

func TestSpearmanScipy(t *testing.T) {
	for _, c := range spearmanScipyCases {
		checkPairCase(t, "Spearman", Spearman, c, tol)
	}
}

func TestPerfectCorrelationIsExact(t *testing.T) {
	for _, n := range []int{2, 3, 17, 500} {
		x, up, down := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			x[i] = float64(i) * 0.37
			up[i] = math.Exp(float64(i) / 50)
			down[i] = -float64(i * i)
		}
		for _, f := range []struct {
			name string
			fn   func(x, y []float64) (float64, error)
		}{{"KendallTauB", KendallTauB}, {"Spearman", Spearman}} {
			if r, err := f.fn(x, up); r != 1 || err != nil {
				t.Errorf("%s, n=%d, increasing: %v, %v; want exactly 1", f.name, n, r, err)
			}
			if r, err := f.fn(x, down); r != -1 || err != nil {
				t.Errorf("%s, n=%d, decreasing: %v, %v; want exactly -1", f.name, n, r, err)
			}
		}
	}
}

func TestConstantIsNaN(t *testing.T) {
	// scipy.stats.kendalltau returns nan for [2,2,2] with [2,2,2], [2,0,2]
	// with [2,2,2] and [2,2,2] with [2,0,2] (test_kendalltau).
	for _, c := range [][2][]float64{
		{{2, 2, 2}, {2, 2, 2}},
		{{2, 0, 2}, {2, 2, 2}},
		{{2, 2, 2}, {2, 0, 2}},
		{{1, 1}, {1, 2}},
	} {
		if tau, err := KendallTauB(c[0], c[1]); !math.IsNaN(tau) || err != nil {
			t.Errorf("KendallTauB(%v, %v) = %v, %v; want NaN, nil", c[0], c[1], tau, err)
		}
		if rho, err := Spearman(c[0], c[1]); !math.IsNaN(rho) || err != nil {
			t.Errorf("Spearman(%v, %v) = %v, %v; want NaN, nil", c[0], c[1], rho, err)
		}
	}
}

func TestInputErrors(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name    string
		x, y    []float64
		message string
	}{
		{"length mismatch", []float64{1, 2, 3}, []float64{1, 2}, "x has 3 values and y has 2"},
		{"empty", nil, nil, "0 pairs; need at least 2"},
		{"one pair", []float64{1}, []float64{2}, "1 pairs; need at least 2"},
		{"NaN in x", []float64{1, math.NaN(), 3}, []float64{1, 2, 3}, "x[1] is NaN"},
		{"NaN in y", []float64{1, 2, 3, 4}, []float64{1, 2, 3, math.NaN()}, "y[3] is NaN"},
		{"+Inf in x", []float64{inf, 2}, []float64{1, 2}, "x[0] is +Inf"},
		{"-Inf in y", []float64{1, 2}, []float64{1, -inf}, "y[1] is -Inf"},
	} {
		for _, f := range []struct {
			name string
			fn   func(x, y []float64) (float64, error)
		}{{"KendallTauB", KendallTauB}, {"Spearman", Spearman}} {
			r, err := f.fn(c.x, c.y)
			if err == nil || !strings.Contains(err.Error(), c.message) {
				t.Errorf("%s %s: error %v, want one containing %q", f.name, c.name, err, c.message)
			}
			if !math.IsNaN(r) {
				t.Errorf("%s %s: %v with an error, want NaN", f.name, c.name, r)
			}
		}
	}
}

// kendallTauBByDefinition is the O(n²) τ-b of SciPy's documentation,
// (P − Q) / √((P + Q + T)(P + Q + U)), as an independent reference.
func kendallTauBByDefinition(x, y []float64) float64 {
	var concordant, discordant, onlyX, onlyY float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			dx, dy := cmp.Compare(x[i], x[j]), cmp.Compare(y[i], y[j])
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				onlyX++
			case dy == 0:
				onlyY++
			case dx == dy:
				concordant++
			default:
				discordant++
			}
		}
	}
	return (concordant - discordant) /
		math.Sqrt((concordant+discordant+onlyX)*(concordant+discordant+onlyY))
}

// correlatedSample returns n draws of a standard bivariate normal with
// correlation rho; a positive step rounds both to multiples of step, for ties.
func correlatedSample(n int, rho, step float64, seed uint64) (x, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x, y = make([]float64, n), make([]float64, n)
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x[i], y[i] = a, rho*a+math.Sqrt(1-rho*rho)*b
		if step > 0 {
			x[i], y[i] = math.Round(x[i]/step)*step, math.Round(y[i]/step)*step
		}
	}
	return x, y
}

func TestKendallTauBMatchesDefinition(t *testing.T) {
	for i, c := range []struct {
		n         int
		rho, step float64
	}{
		{3, 0.5, 0}, {10, 0.2, 0.5}, {33, -0.6, 0.25}, {100, 0.9, 0.1},
		{257, 0.3, 1}, {1000, -0.4, 0.05}, {2000, 0.7, 0},
	} {
		x, y := correlatedSample(c.n, c.rho, c.step, uint64(i))
		want := kendallTauBByDefinition(x, y)
		got, err := KendallTauB(x, y)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d step=%v: KendallTauB = %v, %v; definition gives %v", c.n, c.step, got, err, want)
		}
	}
}

func TestSpearmanMatchesPearsonOfRanks(t *testing.T) {
	for i, n := range []int{3, 20, 311, 2000} {
		x, y := correlatedSample(n, 0.5, 0.2, uint64(100+i))
		want := stat.Correlation(Ranks(x), Ranks(y), nil)
		got, err := Spearman(x, y)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d: Spearman = %v, %v; Pearson of ranks gives %v", n, got, err, want)
		}
	}
}

func TestCorrelationsDoNotModifyInput(t *testing.T) {
	x, y := []float64{3, 1, 2, 1}, []float64{0, 5, 5, 2}
	KendallTauB(x, y)
	Spearman(x, y)
	if x[0] != 3 || x[1] != 1 || x[2] != 2 || x[3] != 1 || y[0] != 0 || y[1] != 5 || y[2] != 5 || y[3] != 2 {
		t.Errorf("inputs changed to %v, %v", x, y)
	}
}
