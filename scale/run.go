package scale

import (
	"context"
	"fmt"
	"time"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// Kind names scaling runs and the format of their files.
var Kind = runs.Kind{Name: "scale", Format: 1}

// Why a run stopped, in Result.Stop.
const (
	StopReached = "reached_stop_params"   // the chosen model has at least StopParams
	StopLimit   = "no_candidate_in_limit" // every candidate had more than LimitParams
)

// Member is one model of the series: the model chosen at a step.
type Member struct {
	Step             int                `json:"step"`     // 1-based
	Topology         string             `json:"topology"` // scaled form of the built model (WidthFactor × hidden)
	Hidden           int                `json:"hidden"`   // of the measured model
	Depths           [vit.NumStages]int `json:"depths"`
	Params           int64              `json:"params"` // of the built model
	MACs             int64              `json:"macs"`
	NTKCond          runs.Float         `json:"ntk_cond"` // of the measured model
	LengthDistortion runs.Float         `json:"length_distortion"`
	Bad              bool               `json:"bad,omitempty"`
}

// StepRecord is one line of a scaling run's log.jsonl.
type StepRecord struct {
	Step       int         `json:"step"` // 1-based
	Candidates []Candidate `json:"candidates"`
	Chosen     int         `json:"chosen"`              // index into Candidates
	TieBreak   string      `json:"tie_break,omitempty"` // the measure that broke a tie on the rank sum
	Member     Member      `json:"member"`
	Seconds    float64     `json:"seconds"` // wall time of the step
}

// Result is a scaling run's answer, written to result.json.
type Result struct {
	Series []Member `json:"series"` // every step's chosen model; the last is the scaled model
	Stop   string   `json:"stop"`   // StopReached or StopLimit
}

// state is what a run carries between steps; it is the checkpoint.
type state struct {
	Series []Member `json:"series"`
}

// Run grows cfg.Arch step by step (§5 of the spec) until the chosen model
// has cfg.StopParams parameters or no candidate fits under
// cfg.LimitParams, measuring candidates with eval. It keeps its files in
// cfg.Dir (see package runs): one log record and one checkpoint per step,
// result.json at the end; with cfg.Resume it continues from the checkpoint
// and ends as an uninterrupted run would. A nil progress reports nothing.
//
// Run returns ctx's error, wrapped, when ctx ends; the steps done so far
// stay in the run directory.
func Run(ctx context.Context, cfg Config, eval trainfree.Evaluator, progress Progress) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if progress == nil {
		progress = NoProgress{}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	dir, err := runs.Open(cfg.Dir, Kind, cfg, cfg.Resume)
	if err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	defer dir.Close()
	var st state
	if _, err := dir.Checkpoint(&st); err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	cur, err := cfg.current(st)
	if err != nil {
		return Result{}, fmt.Errorf("scale: %s: checkpoint: %w", cfg.Dir, err)
	}
	progress.Start(len(st.Series))
	res := Result{Stop: StopReached}
	for len(st.Series) == 0 || st.Series[len(st.Series)-1].Params < cfg.StopParams {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("scale: stopped after step %d: %w", len(st.Series), err)
		}
		start := clock()
		rec, ok, err := cfg.step(ctx, eval, progress, cur, len(st.Series)+1)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			res.Stop = StopLimit
			break
		}
		rec.Seconds = clock().Sub(start).Seconds()
		st.Series = append(st.Series, rec.Member)
		cur = rec.Candidates[rec.Chosen].topology(cur)
		if err := dir.Append(rec); err != nil {
			return Result{}, fmt.Errorf("scale: %w", err)
		}
		if err := dir.Save(st); err != nil {
			return Result{}, fmt.Errorf("scale: %w", err)
		}
		progress.Step(rec)
	}
	res.Series = st.Series
	if err := dir.WriteResult(res); err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	progress.Finish(res)
	return res, nil
}

// current returns the measured model a checkpoint has reached.
func (c Config) current(st state) (vit.Topology, error) {
	t, err := c.start()
	if err != nil || len(st.Series) == 0 {
		return t, err
	}
	last := st.Series[len(st.Series)-1]
	t.Hidden = last.Hidden
	for i, d := range last.Depths {
		t.Stages[i].Depth = d
	}
	return t, t.Validate()
}

// step measures the candidates grown from cur and picks one; ok is false
// when every candidate is over the limit.
func (c Config) step(ctx context.Context, eval trainfree.Evaluator, progress Progress, cur vit.Topology, n int) (StepRecord, bool, error) {
	cands, err := c.candidates(cur)
	if err != nil {
		return StepRecord{}, false, fmt.Errorf("scale: step %d: %w", n, err)
	}
	var measured []int
	var ms []trainfree.Measure
	for i := range cands {
		cand := &cands[i]
		if !cand.OverLimit {
			t := cand.topology(cur)
			m, err := eval.Evaluate(ctx, t)
			if err != nil {
				return StepRecord{}, false, fmt.Errorf("scale: step %d: measure %s: %w", n, t, err)
			}
			cand.Measure = &m
			measured = append(measured, i)
			ms = append(ms, m)
		}
		progress.Candidate(n, i, len(cands), *cand)
	}
	if len(ms) == 0 {
		return StepRecord{}, false, nil
	}
	best, ranks, tie := choose(ms)
	for k, i := range measured {
		cands[i].Ranks = &ranks[k]
	}
	chosen := cands[measured[best]]
	t := chosen.topology(cur)
	return StepRecord{
		Step: n, Candidates: cands, Chosen: measured[best], TieBreak: tie,
		Member: Member{Step: n, Topology: c.widen(t).ScaledString(), Hidden: chosen.Hidden, Depths: chosen.Depths,
			Params: chosen.Params, MACs: chosen.MACs, NTKCond: runs.Float(chosen.Measure.NTKCond),
			LengthDistortion: runs.Float(chosen.Measure.LengthDistortion), Bad: chosen.Measure.Bad},
	}, true, nil
}

// LoadConfig returns the settings stored in a scaling run directory, with
// Dir set to dir and Resume set, ready for Run to continue it.
func LoadConfig(dir string) (Config, error) {
	var c Config
	if err := runs.ReadConfig(dir, Kind, &c); err != nil {
		return Config{}, fmt.Errorf("scale: %w", err)
	}
	c.Dir, c.Resume = dir, true
	return c, nil
}
