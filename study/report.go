package study

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/runs"
)

// Files of a study's report, in its run directory.
const (
	ResultsFile = "results.csv"
	SummaryFile = "summary.json"
	ScatterFile = "scatter.png"
	TauFile     = "tau.png"
)

// ReadConfig returns the configuration the study in dir was started with.
func ReadConfig(dir string) (Config, error) {
	var cfg Config
	if err := runs.ReadConfig(dir, Kind, &cfg); err != nil {
		return cfg, err
	}
	cfg.Out = dir
	return cfg, nil
}

// ReadRows returns the study's topologies with what its log holds of each,
// finished or not.
func ReadRows(dir string) (Config, []Row, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return cfg, nil, err
	}
	cands, err := Candidates(cfg)
	if err != nil {
		return cfg, nil, err
	}
	recs, err := runs.ReadLog[record](dir)
	if err != nil {
		return cfg, nil, err
	}
	rows := make([]Row, len(cands))
	for i, c := range cands {
		rows[i].Candidate = c
	}
	if err := fill(rows, recs, cfg.TrainSeeds); err != nil {
		return cfg, nil, fmt.Errorf("%s: %w", dir, err)
	}
	return cfg, rows, nil
}

// WriteReport summarises the study in dir from its log, finished or not,
// and writes ResultsFile, SummaryFile, ScatterFile and TauFile there.
func WriteReport(dir string) (Summary, error) {
	cfg, rows, err := ReadRows(dir)
	if err != nil {
		return Summary{}, err
	}
	s, err := Summarize(rows, cfg)
	if err != nil {
		return s, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ResultsFile), resultsCSV(rows, cfg.TrainSeeds), 0o644); err != nil {
		return s, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, SummaryFile), append(b, '\n'), 0o644); err != nil {
		return s, err
	}
	if s.Drawn < 3 {
		return s, nil
	}
	return s, plots(dir, rows, s, cfg)
}

// resultsCSV is one row per topology measured so far, training columns
// per seed and the means; empty cells for what is not done yet.
func resultsCSV(rows []Row, seeds []uint64) []byte {
	head := []string{"index", "arch", "given", "params", "flops", "ntk_cond", "length_distortion", "bad",
		"grad_norm", "snip", "synflow", "naswot", "dss", "complexity_seconds", "proxy_seconds"}
	for _, s := range seeds {
		head = append(head, fmt.Sprintf("val_acc_s%d", s), fmt.Sprintf("test_acc_s%d", s), fmt.Sprintf("train_seconds_s%d", s))
	}
	head = append(head, "val_acc", "test_acc")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(head)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, r := range rows {
		if r.Params == 0 {
			continue
		}
		rec := []string{strconv.Itoa(r.Index), r.Arch, strconv.FormatBool(r.Given), strconv.FormatInt(r.Params, 10), strconv.FormatInt(r.FLOPs, 10),
			f(float64(r.NTKCond)), f(float64(r.LengthDistortion)), strconv.FormatBool(r.Bad),
			f(float64(r.GradNorm)), f(float64(r.SNIP)), f(float64(r.Synflow)), f(float64(r.NASWOT)), f(float64(r.DSS)),
			f(r.ComplexitySeconds), f(r.ProxySeconds)}
		by := map[uint64]Trained{}
		for _, t := range r.Trainings {
			by[t.Seed] = t
		}
		for _, s := range seeds {
			if t, ok := by[s]; ok {
				rec = append(rec, f(float64(t.ValAcc)), f(float64(t.TestAcc)), f(t.Seconds))
			} else {
				rec = append(rec, "", "", "")
			}
		}
		if r.complete(len(seeds)) {
			v, t := r.meanAcc()
			rec = append(rec, f(v), f(t))
		} else {
			rec = append(rec, "", "")
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

// Table formats the summary for a terminal or a README: one line per proxy
// with τ and ρ against validation and test accuracy, then the noise
// ceiling, the given topologies and the timing.
func Table(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d drawn topologies complete", s.Drawn)
	if s.Pending > 0 {
		fmt.Fprintf(&b, ", %d pending", s.Pending)
	}
	fmt.Fprintf(&b, "; training seeds %v\n", s.Seeds)
	if s.Drawn < 3 {
		b.WriteString("too few for statistics\n")
		return b.String()
	}
	fmt.Fprintf(&b, "accuracy of the drawn: val %.4f–%.4f (sd %.4f), test %.4f–%.4f (sd %.4f)\n\n",
		s.ValAcc.Min, s.ValAcc.Max, s.ValAcc.SD, s.TestAcc.Min, s.TestAcc.Max, s.TestAcc.SD)
	b.WriteString("| proxy | sign | Kendall τ (val) | Kendall τ (test) | Spearman ρ (val) | Spearman ρ (test) | top-1 test acc (percentile) |\n|---|---|---|---|---|---|---|\n")
	for _, p := range s.Proxies {
		sign := "+"
		if p.Sign < 0 {
			sign = "−"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.4f (%.0f) |\n", p.Name, sign,
			p.TauVal, p.TauTest, p.RhoVal, p.RhoTest, p.TopTestAcc, p.TopTestPercentile)
	}
	if n := s.Noise; n != nil {
		fmt.Fprintf(&b, "\nseed %d against seed %d: Kendall τ val %s, test %s; mean |Δacc| val %.4f, test %.4f\n",
			n.Seeds[0], n.Seeds[1], n.TauVal, n.TauTest, n.MeanAbsDiffVal, n.MeanAbsDiffTest)
	}
	for _, g := range s.Given {
		fmt.Fprintf(&b, "\ngiven %s: test %.4f (val %.4f), percentile %.0f among all drawn, %.0f among the %d with no more FLOPs\n",
			g.Arch, g.TestAcc, g.ValAcc, g.Percentile, float64(g.PercentileByFLOPs), g.NoMoreFLOPs)
	}
	fmt.Fprintf(&b, "\nper topology: κ and L^E %.2f s, other proxies %.2f s, one training %.0f s\n",
		s.Seconds.Complexity, s.Seconds.Proxies, s.Seconds.Train)
	return b.String()
}

// String writes an estimate as value [lo, hi].
func (e Estimate) String() string {
	if math.IsNaN(float64(e.Value)) {
		return "—"
	}
	return fmt.Sprintf("%+.3f [%+.2f, %+.2f]", float64(e.Value), float64(e.Lo), float64(e.Hi))
}
