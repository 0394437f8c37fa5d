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

// Scaler takes the steps of a scaling run in memory, with no files: Run
// keeps its run directory, and package flow drives one inside a workflow.
type Scaler struct {
	cfg    Config
	clock  func() time.Time
	series []Member
	cur    vit.Topology // the measured model reached
	stop   string       // why the run ended; "" while it goes on
}

// NewScaler starts a scaling run with cfg's settings (cfg.Dir is not used).
func NewScaler(cfg Config) (*Scaler, error) {
	if err := cfg.validateSettings(); err != nil {
		return nil, err
	}
	return newScaler(cfg, state{})
}

// newScaler continues from a checkpoint.
func newScaler(cfg Config, st state) (*Scaler, error) {
	cur, err := cfg.current(st)
	if err != nil {
		return nil, err
	}
	s := &Scaler{cfg: cfg, clock: cfg.Clock, series: st.Series, cur: cur}
	if s.clock == nil {
		s.clock = time.Now
	}
	if n := len(s.series); n > 0 && s.series[n-1].Params >= cfg.StopParams {
		s.stop = StopReached
	}
	return s, nil
}

// Done reports whether the run has ended.
func (s *Scaler) Done() bool { return s.stop != "" }

// Result returns the series so far and why the run stopped.
func (s *Scaler) Result() Result { return Result{Series: s.series, Stop: s.stop} }

// Step lists the candidates grown from the current model, measures those
// within the parameter limit with eval, and picks one. It returns false,
// and ends the run, when every candidate is over the limit. progress hears
// of each candidate as it is measured or dropped.
func (s *Scaler) Step(ctx context.Context, eval trainfree.BatchEvaluator, progress Progress) (StepRecord, bool, error) {
	if s.Done() {
		return StepRecord{}, false, nil
	}
	start := s.clock()
	rec, ok, err := s.cfg.step(ctx, eval, progress, s.cur, len(s.series)+1)
	if err != nil {
		return StepRecord{}, false, err
	}
	if !ok {
		s.stop = StopLimit
		return StepRecord{}, false, nil
	}
	rec.Seconds = s.clock().Sub(start).Seconds()
	s.series = append(s.series, rec.Member)
	s.cur = rec.Candidates[rec.Chosen].topology(s.cur)
	if rec.Member.Params >= s.cfg.StopParams {
		s.stop = StopReached
	}
	return rec, true, nil
}

// Run grows cfg.Arch step by step (§5 of the spec) until the chosen model
// has cfg.StopParams parameters or no candidate fits under
// cfg.LimitParams, measuring candidates with eval one at a time. It keeps
// its files in cfg.Dir (see package runs): one log record and one
// checkpoint per step, result.json at the end; with cfg.Resume it
// continues from the checkpoint and ends as an uninterrupted run would. A
// nil progress reports nothing.
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
	dir, err := runs.Open(cfg.Dir, Kind, cfg, cfg.Resume)
	if err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	defer dir.Close()
	var st state
	if _, err := dir.Checkpoint(&st); err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	s, err := newScaler(cfg, st)
	if err != nil {
		return Result{}, fmt.Errorf("scale: %s: checkpoint: %w", cfg.Dir, err)
	}
	batch := trainfree.Batch(eval)
	progress.Start(len(st.Series))
	for !s.Done() {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("scale: stopped after step %d: %w", len(s.series), err)
		}
		rec, ok, err := s.Step(ctx, batch, progress)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			break
		}
		if err := dir.Append(rec); err != nil {
			return Result{}, fmt.Errorf("scale: %w", err)
		}
		if err := dir.Save(state{Series: s.series}); err != nil {
			return Result{}, fmt.Errorf("scale: %w", err)
		}
		progress.Step(rec)
	}
	res := s.Result()
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
func (c Config) step(ctx context.Context, eval trainfree.BatchEvaluator, progress Progress, cur vit.Topology, n int) (StepRecord, bool, error) {
	cands, err := c.candidates(cur)
	if err != nil {
		return StepRecord{}, false, fmt.Errorf("scale: step %d: %w", n, err)
	}
	var measured []int
	var ts []vit.Topology
	for i := range cands {
		if cands[i].OverLimit {
			progress.Candidate(n, i, len(cands), cands[i])
			continue
		}
		measured = append(measured, i)
		ts = append(ts, cands[i].topology(cur))
	}
	if len(ts) == 0 {
		return StepRecord{}, false, nil
	}
	ms, err := eval.EvaluateAll(ctx, ts, func(k int, m trainfree.Measure) {
		cand := cands[measured[k]]
		cand.Measure = &m
		progress.Candidate(n, measured[k], len(cands), cand)
	})
	if err != nil {
		return StepRecord{}, false, fmt.Errorf("scale: step %d: measure: %w", n, err)
	}
	if len(ms) != len(ts) {
		return StepRecord{}, false, fmt.Errorf("scale: step %d: %d measures for %d candidates", n, len(ms), len(ts))
	}
	for k, i := range measured {
		cands[i].Measure = &ms[k]
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

// WriteRun writes the run directory of a scaling run that ran elsewhere (as
// a workflow) into cfg.Dir, which must be missing or empty: its settings,
// its step records, the checkpoint they lead to and result.json with res.
// The directory is then one that Run would have left.
func WriteRun(cfg Config, recs []StepRecord, res Result) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(recs) != len(res.Series) {
		return fmt.Errorf("scale: %d step records for a series of %d", len(recs), len(res.Series))
	}
	dir, err := runs.Open(cfg.Dir, Kind, cfg, false)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	defer dir.Close()
	for _, r := range recs {
		if err := dir.Append(r); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
	}
	if err := dir.Save(state{Series: res.Series}); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	return dir.WriteResult(res)
}
