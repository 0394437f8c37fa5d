package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/asvit/asvit/study"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// Activity names, as the Temporal UI shows them.
const (
	MeasureActivity      = "asvit.Measure"
	StudyMeasureActivity = "asvit.StudyMeasure"
	StudyTrainActivity   = "asvit.StudyTrain"
)

// MeasureInput asks for the training-free measures of one topology.
type MeasureInput struct {
	Version string `json:"version"`
	// Settings are the measure settings as the command line records them
	// (image, batch, repeats, data, ...); the worker's Activities.Evaluator
	// reads them.
	Settings json.RawMessage `json:"settings"`
	Arch     string          `json:"arch"`
}

// StudyMeasureInput asks for every proxy of one study candidate.
type StudyMeasureInput struct {
	Version   string          `json:"version"`
	Config    study.Config    `json:"config"`
	Candidate study.Candidate `json:"candidate"`
}

// StudyTrainInput asks for one training of a study candidate, kept in Dir
// (on a path every worker reaches, so that a retry resumes it).
type StudyTrainInput struct {
	Version   string          `json:"version"`
	Config    study.Config    `json:"config"`
	Candidate study.Candidate `json:"candidate"`
	Seed      uint64          `json:"seed"`
	Dir       string          `json:"dir"`
}

// Activities holds what a worker needs to do asvit's activities.
type Activities struct {
	// Version is the worker's own Version(); inputs asking for another
	// are refused.
	Version string
	// Evaluator returns the evaluator for measure settings; it is called
	// once per distinct settings and kept.
	Evaluator func(settings json.RawMessage) (trainfree.Evaluator, error)
	// Study returns the evaluator of a study's settings; called once per
	// distinct settings and kept.
	Study func(cfg study.Config) (study.Evaluator, error)
	// Threads bounds a training's intra-op threads (0: every core).
	Threads int
	// Heartbeat is the interval between heartbeats (default 2 s).
	Heartbeat time.Duration

	mu      sync.Mutex
	evals   map[string]trainfree.Evaluator
	studies map[string]study.Evaluator
}

// Measure measures one topology.
func (a *Activities) Measure(ctx context.Context, in MeasureInput) (trainfree.Measure, error) {
	if err := a.accept(ctx, in.Version, "measure "+in.Arch); err != nil {
		return trainfree.Measure{}, err
	}
	t, err := vit.Parse(in.Arch)
	if err != nil {
		return trainfree.Measure{}, temporal.NewNonRetryableApplicationError(err.Error(), BadInput, nil)
	}
	ev, err := a.evaluator(in.Settings)
	if err != nil {
		return trainfree.Measure{}, err
	}
	return heartbeating(ctx, a.heartbeat(), func(ctx context.Context) (trainfree.Measure, error) {
		return ev.Evaluate(ctx, t)
	})
}

// StudyMeasure measures every proxy of one study candidate.
func (a *Activities) StudyMeasure(ctx context.Context, in StudyMeasureInput) (study.Measures, error) {
	if err := a.accept(ctx, in.Version, "study measure "+in.Candidate.Arch); err != nil {
		return study.Measures{}, err
	}
	ev, err := a.study(in.Config)
	if err != nil {
		return study.Measures{}, err
	}
	return heartbeating(ctx, a.heartbeat(), func(ctx context.Context) (study.Measures, error) {
		return ev.Measure(ctx, in.Candidate)
	})
}

// StudyTrain trains one study candidate with one seed, continuing whatever
// run in.Dir holds.
func (a *Activities) StudyTrain(ctx context.Context, in StudyTrainInput) (study.Trained, error) {
	if err := a.accept(ctx, in.Version, fmt.Sprintf("study train %s seed %d in %s", in.Candidate.Arch, in.Seed, in.Dir)); err != nil {
		return study.Trained{}, err
	}
	ev, err := a.study(in.Config)
	if err != nil {
		return study.Trained{}, err
	}
	return heartbeating(ctx, a.heartbeat(), func(ctx context.Context) (study.Trained, error) {
		return ev.Train(ctx, in.Candidate, in.Seed, in.Dir, a.Threads)
	})
}

// accept refuses work of another version and logs what the worker does.
func (a *Activities) accept(ctx context.Context, version, what string) error {
	info := activity.GetInfo(ctx)
	log := activity.GetLogger(ctx)
	if version != a.Version {
		log.Warn("refused: wrong version", "activity", info.ActivityType.Name, "wants", version, "worker", a.Version)
		return temporal.NewApplicationError(fmt.Sprintf("worker runs asvit %s, the workflow needs %s: refused", a.Version, version), IncompatibleWorker)
	}
	log.Info(what, "workflow", info.WorkflowExecution.ID, "attempt", info.Attempt)
	return nil
}

func (a *Activities) heartbeat() time.Duration {
	if a.Heartbeat > 0 {
		return a.Heartbeat
	}
	return 2 * time.Second
}

func (a *Activities) evaluator(settings json.RawMessage) (trainfree.Evaluator, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := string(settings)
	if ev, ok := a.evals[key]; ok {
		return ev, nil
	}
	if a.Evaluator == nil {
		return nil, temporal.NewApplicationError("this worker cannot measure", WorkerSetup, nil)
	}
	ev, err := a.Evaluator(settings)
	if err != nil { // retried: another worker may be set up better
		return nil, temporal.NewApplicationError(fmt.Sprintf("measure settings %s: %v", settings, err), WorkerSetup)
	}
	if a.evals == nil {
		a.evals = map[string]trainfree.Evaluator{}
	}
	a.evals[key] = ev
	return ev, nil
}

func (a *Activities) study(cfg study.Config) (study.Evaluator, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if ev, ok := a.studies[string(b)]; ok {
		return ev, nil
	}
	if a.Study == nil {
		return nil, temporal.NewApplicationError("this worker cannot run studies", WorkerSetup, nil)
	}
	ev, err := a.Study(cfg)
	if err != nil {
		return nil, temporal.NewApplicationError(fmt.Sprintf("study settings: %v", err), WorkerSetup)
	}
	if a.studies == nil {
		a.studies = map[string]study.Evaluator{}
	}
	a.studies[string(b)] = ev
	return ev, nil
}

// heartbeating runs work while heartbeating every interval; work's context
// ends when the activity's does (cancelled or timed out).
func heartbeating[T any](ctx context.Context, interval time.Duration, work func(context.Context) (T, error)) (T, error) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	activity.RecordHeartbeat(ctx)
	return work(ctx)
}
