package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/asvit/asvit/runs"
)

// Kind is the run-directory kind of a study.
var Kind = runs.Kind{Name: "correlate", Format: 1}

// Evaluator measures and trains candidates; Local does it on this machine.
// Both must be deterministic functions of their arguments, so that a
// resumed study equals an uninterrupted one.
type Evaluator interface {
	Measure(ctx context.Context, c Candidate) (Measures, error)
	// Train trains c with seed, keeping its run in dir and continuing
	// whatever run dir holds; threads bounds its intra-op threads.
	Train(ctx context.Context, c Candidate, seed uint64, dir string, threads int) (Trained, error)
}

// Progress hears of a study's work; every method may be a no-op.
type Progress interface {
	Start(done, total int)
	Measured(c Candidate, m Measures)
	Trained(c Candidate, t Trained)
}

// NoProgress reports nothing.
type NoProgress struct{}

// Start does nothing.
func (NoProgress) Start(int, int) {}

// Measured does nothing.
func (NoProgress) Measured(Candidate, Measures) {}

// Trained does nothing.
func (NoProgress) Trained(Candidate, Trained) {}

// TrainDir is where a study keeps the training of candidate index with seed.
func TrainDir(out string, index int, seed uint64) string {
	return filepath.Join(out, "train", fmt.Sprintf("%03d-s%d", index, seed))
}

// Run carries out the study cfg describes with ev, in the run directory
// cfg.Out, and writes its report files there (see WriteReport).
//
// First every candidate is measured, one after the other, with all the
// machine's threads; then every (candidate, training seed) pair is trained,
// cfg.Jobs at a time, each job with an equal share of the threads. Each
// finished measurement or training is appended to log.jsonl and
// checkpointed, so a killed study loses only the work in flight, and a
// training in flight continues from its own last checkpoint.
func Run(ctx context.Context, cfg Config, ev Evaluator, progress Progress) (Summary, error) {
	if progress == nil {
		progress = NoProgress{}
	}
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	cands, err := Candidates(cfg)
	if err != nil {
		return Summary{}, err
	}
	dir, err := runs.Open(cfg.Out, Kind, cfg, cfg.Resume)
	if err != nil {
		return Summary{}, err
	}
	defer dir.Close()
	rows, n, err := restore(cfg, cands, dir)
	if err != nil {
		return Summary{}, err
	}
	s := &session{cfg: cfg, dir: dir, rows: rows, records: n}
	total := len(cands) * (1 + len(cfg.TrainSeeds))
	progress.Start(s.done(), total)
	for i, c := range cands {
		if rows[i].Params > 0 && !cfg.Remeasure {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		m, err := ev.Measure(ctx, c)
		if err != nil {
			return Summary{}, err
		}
		if err := s.append(record{Kind: kindMeasure, Index: c.Index, Arch: c.Arch, Measures: &m}); err != nil {
			return Summary{}, err
		}
		progress.Measured(c, m)
	}
	if err := s.trainAll(ctx, cands, ev, progress); err != nil {
		return Summary{}, err
	}
	return WriteReport(cfg.Out)
}

// restore rebuilds the rows from the log a resumed run kept.
func restore(cfg Config, cands []Candidate, dir *runs.Dir) ([]Row, int, error) {
	rows := make([]Row, len(cands))
	for i, c := range cands {
		rows[i].Candidate = c
	}
	var st state
	if ok, err := dir.Checkpoint(&st); err != nil || !ok {
		return rows, 0, err
	}
	recs, err := runs.ReadLog[record](cfg.Out)
	if err != nil {
		return nil, 0, err
	}
	if len(recs) != st.Records {
		return nil, 0, fmt.Errorf("resume %s: the log holds %d records, the checkpoint %d", cfg.Out, len(recs), st.Records)
	}
	if err := fill(rows, recs, cfg.TrainSeeds); err != nil {
		return nil, 0, fmt.Errorf("resume %s: %w", cfg.Out, err)
	}
	return rows, len(recs), nil
}

// fill puts the records into the rows, trainings in seed order.
func fill(rows []Row, recs []record, seeds []uint64) error {
	for _, r := range recs {
		if r.Index < 0 || r.Index >= len(rows) || rows[r.Index].Arch != r.Arch {
			return fmt.Errorf("log record of topology %d (%s) does not match the study's topologies", r.Index, r.Arch)
		}
		switch {
		case r.Kind == kindMeasure && r.Measures != nil:
			rows[r.Index].Measures = *r.Measures
		case r.Kind == kindTrain && r.Trained != nil:
			rows[r.Index].Trainings = append(rows[r.Index].Trainings, *r.Trained)
		default:
			return fmt.Errorf("log record of kind %q for topology %d is incomplete", r.Kind, r.Index)
		}
	}
	for i := range rows {
		sortTrainings(&rows[i], seeds)
	}
	return nil
}

// session is a study in progress.
type session struct {
	cfg     Config
	dir     *runs.Dir
	rows    []Row
	records int
}

func (s *session) done() int {
	n := 0
	for _, r := range s.rows {
		if r.Params > 0 {
			n++
		}
		n += len(r.Trainings)
	}
	return n
}

// append logs rec, checkpoints, and applies it to the rows.
func (s *session) append(rec record) error {
	if err := s.dir.Append(rec); err != nil {
		return err
	}
	s.records++
	if err := s.dir.Save(state{Records: s.records}); err != nil {
		return err
	}
	r := &s.rows[rec.Index]
	if rec.Measures != nil {
		r.Measures = *rec.Measures
	}
	if rec.Trained != nil {
		r.Trainings = append(r.Trainings, *rec.Trained)
	}
	return nil
}

type job struct {
	cand Candidate
	seed uint64
}

type outcome struct {
	job
	trained Trained
	err     error
}

// trainAll trains every pair not yet trained, cfg.Jobs at a time, and
// logs each as it finishes.
func (s *session) trainAll(ctx context.Context, cands []Candidate, ev Evaluator, progress Progress) error {
	// Given topologies first: they are few, and placing them among the
	// drawn ones is worth having early from an unfinished study.
	var todo []job
	order := slices.SortedStableFunc(slices.Values(cands), func(a, b Candidate) int {
		return cmp.Compare(btoi(b.Given), btoi(a.Given))
	})
	for _, c := range order {
		i := c.Index
		have := map[uint64]bool{}
		for _, t := range s.rows[i].Trainings {
			have[t.Seed] = true
		}
		for _, seed := range s.cfg.TrainSeeds {
			if !have[seed] {
				todo = append(todo, job{c, seed})
			}
		}
	}
	threads := max(1, s.cfg.ORT.ThreadCount()/s.cfg.Jobs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job)
	results := make(chan outcome)
	var wg sync.WaitGroup
	for range min(s.cfg.Jobs, len(todo)) {
		wg.Go(func() {
			for j := range jobs {
				t, err := ev.Train(ctx, j.cand, j.seed, TrainDir(s.cfg.Out, j.cand.Index, j.seed), threads)
				results <- outcome{j, t, err}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, j := range todo {
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var errs []error
	for o := range results {
		if o.err != nil {
			errs = append(errs, o.err)
			cancel()
			continue
		}
		if len(errs) > 0 {
			continue
		}
		// Trainings finish in any order; rows keep seed order.
		if err := s.append(record{Kind: kindTrain, Index: o.cand.Index, Arch: o.cand.Arch, Trained: &o.trained}); err != nil {
			errs = append(errs, err)
			cancel()
			continue
		}
		sortTrainings(&s.rows[o.cand.Index], s.cfg.TrainSeeds)
		progress.Trained(o.cand, o.trained)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return ctx.Err()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortTrainings orders r's trainings as seeds lists them, dropping other
// seeds and repeats.
func sortTrainings(r *Row, seeds []uint64) {
	by := map[uint64]Trained{}
	for _, t := range r.Trainings {
		by[t.Seed] = t
	}
	r.Trainings = r.Trainings[:0]
	for _, s := range seeds {
		if t, ok := by[s]; ok {
			r.Trainings = append(r.Trainings, t)
		}
	}
}

// WriteRun writes what a study that ran elsewhere (as a workflow) learnt
// into cfg.Out as Run would have logged it, then the report. cfg.Out may
// hold a run of these settings already (its config.json and the trainings'
// directories), or nothing.
func WriteRun(cfg Config, rows []Row) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	started, err := runs.Started(cfg.Out)
	if err != nil {
		return Summary{}, err
	}
	dir, err := runs.Open(cfg.Out, Kind, cfg, started)
	if err != nil {
		return Summary{}, err
	}
	err = logRows(dir, rows)
	if closeErr := dir.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return Summary{}, err
	}
	return WriteReport(cfg.Out)
}

// logRows appends the records of rows to dir's log, then one checkpoint
// that covers them.
func logRows(dir *runs.Dir, rows []Row) error {
	n := 0
	add := func(r record) error { n++; return dir.Append(r) }
	for i, r := range rows {
		if r.Index != i {
			return fmt.Errorf("study: row %d holds topology %d", i, r.Index)
		}
		if r.Params > 0 {
			if err := add(record{Kind: kindMeasure, Index: i, Arch: r.Arch, Measures: &r.Measures}); err != nil {
				return err
			}
		}
		for _, t := range r.Trainings {
			if err := add(record{Kind: kindTrain, Index: i, Arch: r.Arch, Trained: &t}); err != nil {
				return err
			}
		}
	}
	return dir.Save(state{Records: n})
}
