package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// Workflow names, as the Temporal UI shows them.
const (
	SearchWorkflow    = "asvit.Search"
	ScaleWorkflow     = "asvit.Scale"
	CorrelateWorkflow = "asvit.Correlate"
)

// Query names every workflow answers.
const (
	RecordsQuery = "records" // argument: the first index; answer: a Page
	InputQuery   = "input"   // answer: the workflow's input
)

// pageSize bounds the records of one query answer.
const pageSize = 500

// Page is an answer to RecordsQuery.
type Page[R any] struct {
	Records []R `json:"records"` // from the asked index on, at most pageSize
	Total   int `json:"total"`   // records so far
}

// Timeouts bound an activity: a worker silent for Heartbeat is taken for
// dead and the activity retried; StartToClose bounds one attempt.
type Timeouts struct {
	Heartbeat    time.Duration `json:"heartbeat"`
	StartToClose time.Duration `json:"start_to_close"`
}

// DefaultTimeouts suit measures at 224 px and trainings of hours.
func DefaultTimeouts() Timeouts {
	return Timeouts{Heartbeat: 30 * time.Second, StartToClose: 24 * time.Hour}
}

func (t Timeouts) activityContext(ctx workflow.Context) workflow.Context {
	d := DefaultTimeouts()
	if t.Heartbeat <= 0 {
		t.Heartbeat = d.Heartbeat
	}
	if t.StartToClose <= 0 {
		t.StartToClose = d.StartToClose
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: t.StartToClose,
		HeartbeatTimeout:    t.Heartbeat,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{BadInput},
		},
	})
}

// SearchInput starts a search workflow.
type SearchInput struct {
	Config   search.Config   `json:"config"`   // Dir, Resume and Clock are not used
	Version  string          `json:"version"`  // what the workers must be
	Settings json.RawMessage `json:"settings"` // the measure settings (MeasureInput.Settings)
	Timeouts Timeouts        `json:"timeouts"`
}

// SearchOutput is a search workflow's result; its log records come through
// RecordsQuery.
type SearchOutput struct {
	Result     search.Result   `json:"result"`
	Checkpoint json.RawMessage `json:"checkpoint"` // the Searcher's final state
}

// Search runs search.Searcher with its measures as activities.
func Search(ctx workflow.Context, in SearchInput) (SearchOutput, error) {
	var recs []search.StepRecord
	if err := answerQueries(ctx, in, &recs); err != nil {
		return SearchOutput{}, err
	}
	cfg := in.Config
	cfg.Clock = func() time.Time { return workflow.Now(ctx) }
	s, err := search.NewSearcher(cfg)
	if err != nil {
		return SearchOutput{}, temporal.NewNonRetryableApplicationError(err.Error(), BadInput, nil)
	}
	eval := measureBatch{ctx: in.Timeouts.activityContext(ctx), version: in.Version, settings: in.Settings}
	for !s.Done() {
		step, err := s.Step(context.Background(), eval)
		if err != nil {
			return SearchOutput{}, err
		}
		recs = append(recs, step...)
	}
	res, err := s.Result()
	if err != nil {
		return SearchOutput{}, err
	}
	cp, err := s.Checkpoint()
	return SearchOutput{Result: res, Checkpoint: cp}, err
}

// ScaleInput starts a scaling workflow.
type ScaleInput struct {
	Config   scale.Config    `json:"config"` // Dir, Resume and Clock are not used
	Version  string          `json:"version"`
	Settings json.RawMessage `json:"settings"`
	Timeouts Timeouts        `json:"timeouts"`
}

// Scale runs scale.Scaler with each step's candidates measured as
// activities at the same time.
func Scale(ctx workflow.Context, in ScaleInput) (scale.Result, error) {
	var recs []scale.StepRecord
	if err := answerQueries(ctx, in, &recs); err != nil {
		return scale.Result{}, err
	}
	cfg := in.Config
	cfg.Clock = func() time.Time { return workflow.Now(ctx) }
	s, err := scale.NewScaler(cfg)
	if err != nil {
		return scale.Result{}, temporal.NewNonRetryableApplicationError(err.Error(), BadInput, nil)
	}
	eval := measureBatch{ctx: in.Timeouts.activityContext(ctx), version: in.Version, settings: in.Settings}
	for !s.Done() {
		rec, ok, err := s.Step(context.Background(), eval, scale.NoProgress{})
		if err != nil {
			return scale.Result{}, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	return s.Result(), nil
}

// answerQueries registers the input and records queries over *recs.
func answerQueries[I any, R any](ctx workflow.Context, in I, recs *[]R) error {
	if err := workflow.SetQueryHandler(ctx, InputQuery, func() (I, error) { return in, nil }); err != nil {
		return err
	}
	return workflow.SetQueryHandler(ctx, RecordsQuery, func(from int) (Page[R], error) {
		all := *recs
		if from < 0 || from > len(all) {
			return Page[R]{}, fmt.Errorf("records from %d: the workflow has %d", from, len(all))
		}
		return Page[R]{Records: all[from:min(len(all), from+pageSize)], Total: len(all)}, nil
	})
}

// measureBatch measures topologies as Measure activities, all at once.
type measureBatch struct {
	ctx      workflow.Context // with the activity options
	version  string
	settings json.RawMessage
}

func (b measureBatch) EvaluateAll(_ context.Context, ts []vit.Topology, done func(int, trainfree.Measure)) ([]trainfree.Measure, error) {
	futures := make([]workflow.Future, len(ts))
	for i, t := range ts {
		futures[i] = workflow.ExecuteActivity(b.ctx, MeasureActivity, MeasureInput{Version: b.version, Settings: b.settings, Arch: t.String()})
	}
	ms := make([]trainfree.Measure, len(ts))
	for i, f := range futures {
		if err := f.Get(b.ctx, &ms[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", ts[i], err)
		}
		if done != nil {
			done(i, ms[i])
		}
	}
	return ms, nil
}

// MaxHistoryEvents is what asvit lets one workflow's history reach; the
// server refuses histories of more than 51,200 events. The workflows do
// not continue as new, so a run must fit.
const MaxHistoryEvents = 45_000

// historyEvents bounds a workflow's history: three events per activity
// (scheduled, started, completed), three per workflow task (one may
// follow each completion) and one task per batch of activities.
func historyEvents(activities, batches int) int { return 6*activities + 3*batches + 10 }

// CheckSize refuses a search whose history would not fit one workflow:
// Steps × BatchSize measures at most (fewer with the cache).
func (in SearchInput) CheckSize() error {
	steps, m := in.Config.Steps, max(1, in.Config.BatchSize)
	if n := historyEvents(steps*m, steps); n > MaxHistoryEvents {
		return fmt.Errorf("a search of %d steps × %d topologies needs up to %d history events, more than the %d one workflow holds here; take fewer steps or a smaller batch size",
			steps, m, n, MaxHistoryEvents)
	}
	return nil
}
