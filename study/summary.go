package study

import (
	"math"
	"slices"

	"github.com/asvit/asvit/rankstat"
	"github.com/asvit/asvit/runs"
)

// Proxy is one predictor of trained accuracy. Sign is +1 when a higher
// value predicts a better network and -1 when a lower one does; every
// statistic is computed on Sign × value.
type Proxy struct {
	Name  string
	Sign  float64
	Value func(Row) float64
}

// Proxies lists the study's predictors. AsViTRank, the sum of the ranks of
// κ (ascending) and L^E (descending) among the drawn topologies, as
// scaling ranks its candidates, is filled in by the summary.
var Proxies = []Proxy{
	{"params", 1, func(r Row) float64 { return float64(r.Params) }},
	{"flops", 1, func(r Row) float64 { return float64(r.FLOPs) }},
	{"grad_norm", 1, func(r Row) float64 { return float64(r.GradNorm) }},
	{"snip", 1, func(r Row) float64 { return float64(r.SNIP) }},
	{"synflow", 1, func(r Row) float64 { return float64(r.Synflow) }},
	{"naswot", 1, func(r Row) float64 { return float64(r.NASWOT) }},
	{"dss", 1, func(r Row) float64 { return float64(r.DSS) }},
	{"ntk_cond", -1, func(r Row) float64 { return float64(r.NTKCond) }},
	{"length_distortion", 1, func(r Row) float64 { return float64(r.LengthDistortion) }},
	{AsViTRank, -1, nil},
}

// AsViTRank names the rank-sum proxy.
const AsViTRank = "asvit_rank"

// Estimate is a statistic with its 95% percentile-bootstrap interval.
// A statistic that is undefined (a constant proxy) is NaN throughout.
type Estimate struct {
	Value runs.Float `json:"value"`
	Lo    runs.Float `json:"lo"`
	Hi    runs.Float `json:"hi"`
}

// ProxyStats is how well one proxy ranks the drawn topologies.
type ProxyStats struct {
	Name    string   `json:"name"`
	Sign    float64  `json:"sign"` // +1: higher predicts better
	TauVal  Estimate `json:"kendall_tau_val"`
	TauTest Estimate `json:"kendall_tau_test"`
	RhoVal  Estimate `json:"spearman_rho_val"`
	RhoTest Estimate `json:"spearman_rho_test"`
	// The topology the proxy ranks first, its accuracies and their
	// percentiles among the drawn topologies.
	TopArch           string  `json:"top_arch"`
	TopValAcc         float64 `json:"top_val_acc"`
	TopTestAcc        float64 `json:"top_test_acc"`
	TopValPercentile  float64 `json:"top_val_percentile"`
	TopTestPercentile float64 `json:"top_test_percentile"`
}

// Noise is the seed-to-seed variation of the first two training seeds.
type Noise struct {
	Seeds [2]uint64 `json:"seeds"`
	// Kendall τ between the two seeds' accuracies over the drawn
	// topologies: about the best τ a proxy can reach on this budget.
	TauVal  Estimate `json:"kendall_tau_val"`
	TauTest Estimate `json:"kendall_tau_test"`
	// Mean absolute accuracy difference between the two seeds.
	MeanAbsDiffVal  float64 `json:"mean_abs_diff_val"`
	MeanAbsDiffTest float64 `json:"mean_abs_diff_test"`
}

// Spread describes the drawn topologies' mean accuracies.
type Spread struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

// GivenStats places a given topology among the drawn ones.
type GivenStats struct {
	Arch    string  `json:"arch"`
	FLOPs   int64   `json:"flops"`
	ValAcc  float64 `json:"val_acc"`
	TestAcc float64 `json:"test_acc"`
	// Test-accuracy percentiles among all drawn topologies and among those
	// with no more FLOPs (NaN when there are none).
	Percentile        float64    `json:"percentile"`
	PercentileByFLOPs runs.Float `json:"percentile_no_more_flops"`
	NoMoreFLOPs       int        `json:"drawn_with_no_more_flops"`
}

// Summary is what a study found.
type Summary struct {
	Drawn      int          `json:"drawn"`    // drawn topologies complete (measured and trained)
	Pending    int          `json:"pending"`  // topologies not yet complete
	Seeds      []uint64     `json:"seeds"`    // training seeds
	ValAcc     Spread       `json:"val_acc"`  // of the drawn topologies
	TestAcc    Spread       `json:"test_acc"` // of the drawn topologies
	Proxies    []ProxyStats `json:"proxies"`
	Noise      *Noise       `json:"noise,omitempty"` // with two or more seeds
	Given      []GivenStats `json:"given,omitempty"`
	Bootstrap  int          `json:"bootstrap_resamples"`
	Seconds    Timing       `json:"seconds"`
	rankValues []float64    // AsViTRank per drawn row
}

// Timing compares the cost of the proxies with training, per topology.
type Timing struct {
	Complexity float64 `json:"complexity_mean"` // κ and L^E
	Proxies    float64 `json:"proxies_mean"`    // the other proxies
	Train      float64 `json:"train_mean"`      // one training, in steps
}

// Summarize computes the study's statistics over the complete rows.
func Summarize(rows []Row, cfg Config) (Summary, error) {
	s := Summary{Seeds: cfg.TrainSeeds, Bootstrap: cfg.Bootstrap}
	var drawn, given []Row
	for _, r := range rows {
		switch {
		case !r.complete(len(cfg.TrainSeeds)):
			s.Pending++
		case r.Given:
			given = append(given, r)
		default:
			drawn = append(drawn, r)
		}
	}
	s.Drawn = len(drawn)
	if len(drawn) < 3 {
		return s, nil
	}
	val, test := make([]float64, len(drawn)), make([]float64, len(drawn))
	for i, r := range drawn {
		val[i], test[i] = r.meanAcc()
		s.Seconds.Complexity += r.ComplexitySeconds / float64(len(drawn))
		s.Seconds.Proxies += r.ProxySeconds / float64(len(drawn))
		for _, t := range r.Trainings {
			s.Seconds.Train += t.Seconds / float64(len(drawn)*len(r.Trainings))
		}
	}
	s.ValAcc, s.TestAcc = spread(val), spread(test)
	s.rankValues = rankSum(drawn)
	for k, p := range Proxies {
		ps, err := s.proxyStats(p, drawn, val, test, cfg.Seed+uint64(k))
		if err != nil {
			return s, err
		}
		s.Proxies = append(s.Proxies, ps)
	}
	if len(cfg.TrainSeeds) >= 2 {
		n, err := noise(drawn, cfg)
		if err != nil {
			return s, err
		}
		s.Noise = &n
	}
	for _, g := range given {
		s.Given = append(s.Given, place(g, drawn, test))
	}
	return s, nil
}

// values returns p's sign-adjusted values over rows, non-finite ones
// ranked last (or first for the favourable infinity).
func (s Summary) values(p Proxy, rows []Row) []float64 {
	x := make([]float64, len(rows))
	for i, r := range rows {
		if p.Value == nil {
			x[i] = p.Sign * s.rankValues[i]
		} else {
			x[i] = p.Sign * p.Value(r)
		}
	}
	return orderNonFinite(x)
}

// orderNonFinite replaces -Inf and NaN below, and +Inf above, every finite
// value, keeping the order of the finite ones.
func orderNonFinite(x []float64) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 0
	}
	for i, v := range x {
		switch {
		case math.IsInf(v, 1):
			x[i] = hi + 1
		case math.IsNaN(v) || math.IsInf(v, -1):
			x[i] = lo - 1
		}
	}
	return x
}

// rankSum is κ's ascending rank plus L^E's descending rank, average ranks
// for ties; lower is better.
func rankSum(rows []Row) []float64 {
	kappa, length := make([]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		kappa[i], length[i] = float64(r.NTKCond), -float64(r.LengthDistortion)
	}
	a, b := rankstat.Ranks(orderNonFinite(kappa)), rankstat.Ranks(orderNonFinite(length))
	for i := range a {
		a[i] += b[i]
	}
	return a
}

func (s Summary) proxyStats(p Proxy, rows []Row, val, test []float64, seed uint64) (ProxyStats, error) {
	x := s.values(p, rows)
	ps := ProxyStats{Name: p.Name, Sign: p.Sign}
	var err error
	for _, e := range []struct {
		dst  *Estimate
		acc  []float64
		stat func(x, y []float64) (float64, error)
	}{
		{&ps.TauVal, val, rankstat.KendallTauB}, {&ps.TauTest, test, rankstat.KendallTauB},
		{&ps.RhoVal, val, rankstat.Spearman}, {&ps.RhoTest, test, rankstat.Spearman},
	} {
		if *e.dst, err = estimate(x, e.acc, e.stat, s.Bootstrap, seed); err != nil {
			return ps, err
		}
	}
	top := 0
	for i, v := range x {
		if v > x[top] {
			top = i
		}
	}
	ps.TopArch, ps.TopValAcc, ps.TopTestAcc = rows[top].Arch, val[top], test[top]
	ps.TopValPercentile = rankstat.PercentileRank(val, val[top])
	ps.TopTestPercentile = rankstat.PercentileRank(test, test[top])
	return ps, nil
}

// estimate computes stat(x, y) and its 95% bootstrap interval.
func estimate(x, y []float64, stat func(x, y []float64) (float64, error), resamples int, seed uint64) (Estimate, error) {
	v, err := stat(x, y)
	if err != nil {
		return Estimate{}, err
	}
	nan := runs.Float(math.NaN())
	if math.IsNaN(v) {
		return Estimate{nan, nan, nan}, nil
	}
	ci, err := rankstat.Bootstrap(x, y, stat, resamples, 0.95, seed)
	if err != nil {
		return Estimate{}, err
	}
	return Estimate{Value: runs.Float(v), Lo: runs.Float(ci.Lo), Hi: runs.Float(ci.Hi)}, nil
}

func noise(rows []Row, cfg Config) (Noise, error) {
	n := Noise{Seeds: [2]uint64{cfg.TrainSeeds[0], cfg.TrainSeeds[1]}}
	k := len(rows)
	va, vb, ta, tb := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	for i, r := range rows {
		va[i], vb[i] = float64(r.Trainings[0].ValAcc), float64(r.Trainings[1].ValAcc)
		ta[i], tb[i] = float64(r.Trainings[0].TestAcc), float64(r.Trainings[1].TestAcc)
		n.MeanAbsDiffVal += math.Abs(va[i]-vb[i]) / float64(k)
		n.MeanAbsDiffTest += math.Abs(ta[i]-tb[i]) / float64(k)
	}
	var err error
	if n.TauVal, err = estimate(va, vb, rankstat.KendallTauB, cfg.Bootstrap, cfg.Seed); err != nil {
		return n, err
	}
	n.TauTest, err = estimate(ta, tb, rankstat.KendallTauB, cfg.Bootstrap, cfg.Seed)
	return n, err
}

// place puts given topology g among the drawn rows by test accuracy.
func place(g Row, drawn []Row, test []float64) GivenStats {
	gs := GivenStats{Arch: g.Arch, FLOPs: g.FLOPs}
	gs.ValAcc, gs.TestAcc = g.meanAcc()
	gs.Percentile = rankstat.PercentileRank(test, gs.TestAcc)
	var cheaper []float64
	for i, r := range drawn {
		if r.FLOPs <= g.FLOPs {
			cheaper = append(cheaper, test[i])
		}
	}
	gs.NoMoreFLOPs, gs.PercentileByFLOPs = len(cheaper), runs.Float(math.NaN())
	if len(cheaper) > 0 {
		gs.PercentileByFLOPs = runs.Float(rankstat.PercentileRank(cheaper, gs.TestAcc))
	}
	return gs
}

func spread(x []float64) Spread {
	s := Spread{Min: slices.Min(x), Max: slices.Max(x)}
	for _, v := range x {
		s.Mean += v / float64(len(x))
	}
	for _, v := range x {
		s.SD += (v - s.Mean) * (v - s.Mean) / float64(len(x)-1)
	}
	s.SD = math.Sqrt(s.SD)
	return s
}
