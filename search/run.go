package search

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
)

// Kind names search runs and the format of their files.
var Kind = runs.Kind{Name: "search", Format: 1}

// LoadConfig returns the settings stored in a search run directory, with Dir
// set to dir and Resume set, ready for Run to continue it.
func LoadConfig(dir string) (Config, error) {
	var c Config
	if err := runs.ReadConfig(dir, Kind, &c); err != nil {
		return Config{}, fmt.Errorf("search: %w", err)
	}
	c.Dir, c.Resume = dir, true
	return c, nil
}

// Run searches for cfg.Steps steps, measuring topologies with eval one at a
// time, and
// keeps its files in cfg.Dir (see package runs): one log record and one
// checkpoint per step, result.json at the end. With cfg.Resume it continues
// from the checkpoint, and the result and log equal those of a run that was
// never interrupted. A nil progress reports nothing.
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
		return Result{}, fmt.Errorf("search: %w", err)
	}
	defer dir.Close()
	s := newSearcher(cfg)
	batch := trainfree.Batch(eval)
	var st state
	if ok, err := dir.Checkpoint(&st); err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	} else if ok {
		if err := s.restore(st); err != nil {
			return Result{}, fmt.Errorf("search: %s: %w", cfg.Dir, err)
		}
	}
	progress.Start(s.st.Step, cfg.Steps)
	for s.st.Step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("search: stopped after step %d: %w", s.st.Step, err)
		}
		recs, err := s.Step(ctx, batch)
		if err != nil {
			return Result{}, err
		}
		for _, rec := range recs {
			if err := dir.Append(rec); err != nil {
				return Result{}, fmt.Errorf("search: %w", err)
			}
		}
		snap, err := s.snapshot()
		if err != nil {
			return Result{}, fmt.Errorf("search: %w", err)
		}
		if err := dir.Save(snap); err != nil {
			return Result{}, fmt.Errorf("search: %w", err)
		}
		for _, rec := range recs {
			progress.Step(rec)
		}
	}
	res, err := s.Result()
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	if err := dir.WriteResult(res); err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	progress.Finish(res)
	return res, nil
}

// Checkpoint returns the Searcher's state in the form of a run directory's
// checkpoint.
func (s *Searcher) Checkpoint() (json.RawMessage, error) {
	st, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// WriteRun writes the run directory of a search that ran elsewhere (as a
// workflow) into cfg.Dir, which must be missing or empty: its settings,
// its log records, the checkpoint its Searcher ended with and result.json.
// The directory is then one that Run would have left.
func WriteRun(cfg Config, recs []StepRecord, checkpoint json.RawMessage) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	var st state
	if err := json.Unmarshal(checkpoint, &st); err != nil {
		return Result{}, fmt.Errorf("search: checkpoint: %w", err)
	}
	s := newSearcher(cfg)
	if err := s.restore(st); err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	if len(recs) != s.st.Step*cfg.batchSize() {
		return Result{}, fmt.Errorf("search: %d log records for %d steps of %d", len(recs), s.st.Step, cfg.batchSize())
	}
	res, err := s.Result()
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	dir, err := runs.Open(cfg.Dir, Kind, cfg, false)
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	defer dir.Close()
	for _, r := range recs {
		if err := dir.Append(r); err != nil {
			return Result{}, fmt.Errorf("search: %w", err)
		}
	}
	if err := dir.Save(st); err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	return res, dir.WriteResult(res)
}
