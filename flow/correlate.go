package flow

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/asvit/asvit/study"
)

// CorrelateInput starts a study workflow. Config.Out is where the
// trainings' run directories go, on a path every worker reaches.
type CorrelateInput struct {
	Config   study.Config `json:"config"`
	Out      string       `json:"out"`
	Version  string       `json:"version"`
	Timeouts Timeouts     `json:"timeouts"`
}

// CorrelateRecord is one piece of a study's work done: a candidate's
// measures or one of its trainings.
type CorrelateRecord struct {
	Candidate study.Candidate `json:"candidate"`
	Measures  *study.Measures `json:"measures,omitempty"`
	Trained   *study.Trained  `json:"trained,omitempty"`
}

// CorrelateOutput is a study workflow's result; study.WriteRun turns it
// into the run directory and report.
type CorrelateOutput struct {
	Rows []study.Row `json:"rows"`
}

// Correlate measures every candidate of a study and trains each with every
// training seed, all as activities at once.
func Correlate(ctx workflow.Context, in CorrelateInput) (CorrelateOutput, error) {
	var recs []CorrelateRecord
	if err := answerQueries(ctx, in, &recs); err != nil {
		return CorrelateOutput{}, err
	}
	cfg := in.Config
	cfg.Out = in.Out
	cfg.Jobs = 1 // not used: the workers' number bounds the trainings at once
	if err := cfg.Validate(); err != nil {
		return CorrelateOutput{}, temporal.NewNonRetryableApplicationError(err.Error(), BadInput, nil)
	}
	cands, err := study.Candidates(cfg)
	if err != nil {
		return CorrelateOutput{}, temporal.NewNonRetryableApplicationError(err.Error(), BadInput, nil)
	}
	actx := in.Timeouts.activityContext(ctx)
	rows := make([]study.Row, len(cands))
	measures := make([]workflow.Future, len(cands))
	trainings := make([][]workflow.Future, len(cands))
	for i, c := range cands {
		rows[i].Candidate = c
		measures[i] = workflow.ExecuteActivity(actx, StudyMeasureActivity, StudyMeasureInput{Version: in.Version, Config: cfg, Candidate: c})
		for _, seed := range cfg.TrainSeeds {
			trainings[i] = append(trainings[i], workflow.ExecuteActivity(actx, StudyTrainActivity, StudyTrainInput{
				Version: in.Version, Config: cfg, Candidate: c, Seed: seed, Dir: study.TrainDir(in.Out, c.Index, seed)}))
		}
	}
	// Collect in completion order, so progress shows work as it ends.
	sel := workflow.NewSelector(ctx)
	var failed error
	for i := range cands {
		sel.AddFuture(measures[i], func(f workflow.Future) {
			var m study.Measures
			if err := f.Get(ctx, &m); err != nil {
				failed = err
				return
			}
			rows[i].Measures = m
			recs = append(recs, CorrelateRecord{Candidate: cands[i], Measures: &m})
		})
		rows[i].Trainings = make([]study.Trained, len(cfg.TrainSeeds))
		for k := range trainings[i] {
			sel.AddFuture(trainings[i][k], func(f workflow.Future) {
				var t study.Trained
				if err := f.Get(ctx, &t); err != nil {
					failed = err
					return
				}
				rows[i].Trainings[k] = t
				recs = append(recs, CorrelateRecord{Candidate: cands[i], Trained: &t})
			})
		}
	}
	for range len(cands) * (1 + len(cfg.TrainSeeds)) {
		sel.Select(ctx)
		if failed != nil {
			return CorrelateOutput{}, failed
		}
	}
	return CorrelateOutput{Rows: rows}, nil
}

// CheckSize refuses a study whose history would not fit one workflow: a
// measurement and one training per seed for each topology.
func (in CorrelateInput) CheckSize() error {
	topologies := in.Config.N + len(in.Config.Archs)
	work := topologies * (1 + len(in.Config.TrainSeeds))
	if n := historyEvents(work, work); n > MaxHistoryEvents {
		return fmt.Errorf("a study of %d topologies × %d trainings needs up to %d history events, more than the %d one workflow holds here; split it into several studies",
			topologies, len(in.Config.TrainSeeds), n, MaxHistoryEvents)
	}
	return nil
}
