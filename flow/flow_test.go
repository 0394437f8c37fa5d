package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/asvit/asvit/internal/jsonstrip"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/study"
)

// quietSuite logs warnings and errors only.
func quietSuite() *testsuite.WorkflowTestSuite {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return &s
}

func newTestEnv() *testsuite.TestWorkflowEnvironment {
	return quietSuite().NewTestWorkflowEnvironment()
}

var testSettings = json.RawMessage(`{"image":32}`)

// queryAll reads every record of a finished workflow in the test
// environment, page by page.
func queryAll[R any](t *testing.T, env *testsuite.TestWorkflowEnvironment) []R {
	t.Helper()
	var all []R
	for {
		v, err := env.QueryWorkflow(RecordsQuery, len(all))
		if err != nil {
			t.Fatal(err)
		}
		var p Page[R]
		if err := v.Get(&p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Records...)
		if len(all) >= p.Total {
			return all
		}
	}
}

// sameFiles compares run-directory files, with the log's wall times zeroed.
func sameFiles(t *testing.T, a, b string, names ...string) {
	t.Helper()
	for _, name := range names {
		x, errA := os.ReadFile(filepath.Join(a, name))
		y, errB := os.ReadFile(filepath.Join(b, name))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", name, errA, errB)
		}
		switch name {
		case runs.LogFile:
			x, y = without(t, x, "seconds"), without(t, y, "seconds")
		case runs.CheckpointFile: // it records the log's size in bytes
			x, y = without(t, x, "log_size"), without(t, y, "log_size")
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs:\n%s\nwant\n%s", name, y, x)
		}
	}
}

// without drops keys from a JSON object or JSON lines.
func without(t *testing.T, data []byte, keys ...string) []byte {
	t.Helper()
	out, err := jsonstrip.Without(data, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSearchWorkflowEqualsLocalRun(t *testing.T) {
	for _, batch := range []int{1, 3} {
		cfg := search.DefaultConfig()
		cfg.Steps, cfg.Seed, cfg.BatchSize = 30, 5, batch
		cfg.EvalSettings = testSettings
		local := cfg
		local.Dir = filepath.Join(t.TempDir(), "local")
		if _, err := search.Run(context.Background(), local, hashMeasure(0), nil); err != nil {
			t.Fatal(err)
		}

		env := newTestEnv()
		Register(env, fakeActivities(Version(), 0))
		env.ExecuteWorkflow(SearchWorkflow, SearchInput{Config: cfg, Version: Version(), Settings: testSettings})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		var out SearchOutput
		if err := env.GetWorkflowResult(&out); err != nil {
			t.Fatal(err)
		}
		recs := queryAll[search.StepRecord](t, env)
		remote := cfg
		remote.Dir = filepath.Join(t.TempDir(), "remote")
		if _, err := search.WriteRun(remote, recs, out.Checkpoint); err != nil {
			t.Fatal(err)
		}
		sameFiles(t, local.Dir, remote.Dir, runs.ResultFile, runs.CheckpointFile, runs.LogFile, runs.ConfigFile)
		// The written directory resumes like a local one: asking for
		// more steps is refused as other settings, the same finishes at once.
		again := remote
		again.Resume = true
		if res, err := search.Run(context.Background(), again, nil, nil); err != nil || res.Topology != out.Result.Topology {
			t.Errorf("batch %d: resuming the written run: %v, %v", batch, res.Topology, err)
		}
	}
}

func TestScaleWorkflowEqualsLocalRun(t *testing.T) {
	cfg := scale.DefaultConfig()
	cfg.Image, cfg.StopParams = 32, 6_000_000
	local := cfg
	local.Dir = filepath.Join(t.TempDir(), "local")
	want, err := scale.Run(context.Background(), local, hashMeasure(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Series) < 3 {
		t.Fatalf("a series of %d steps tests too little", len(want.Series))
	}
	env := newTestEnv()
	Register(env, fakeActivities(Version(), 0))
	env.ExecuteWorkflow(ScaleWorkflow, ScaleInput{Config: cfg, Version: Version(), Settings: testSettings})
	var res scale.Result
	if err := errors.Join(env.GetWorkflowError(), env.GetWorkflowResult(&res)); err != nil {
		t.Fatal(err)
	}
	remote := cfg
	remote.Dir = filepath.Join(t.TempDir(), "remote")
	if err := scale.WriteRun(remote, queryAll[scale.StepRecord](t, env), res); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, local.Dir, remote.Dir, runs.ResultFile, runs.CheckpointFile, runs.LogFile)
}

func TestCorrelateWorkflowEqualsLocalRun(t *testing.T) {
	cfg := study.DefaultConfig()
	cfg.N, cfg.TrainSeeds, cfg.Bootstrap = 9, []uint64{1, 2}, 200
	cfg.Archs = []string{"8,2,3|4,1,2|4,1,4|4,1,6|32"}
	local := cfg
	local.Out = filepath.Join(t.TempDir(), "local")
	if _, err := study.Run(context.Background(), local, hashStudy{}, nil); err != nil {
		t.Fatal(err)
	}
	remote := cfg
	remote.Out = filepath.Join(t.TempDir(), "remote")
	env := newTestEnv()
	Register(env, fakeActivities(Version(), 0))
	env.ExecuteWorkflow(CorrelateWorkflow, CorrelateInput{Config: cfg, Out: remote.Out, Version: Version()})
	var out CorrelateOutput
	if err := errors.Join(env.GetWorkflowError(), env.GetWorkflowResult(&out)); err != nil {
		t.Fatal(err)
	}
	if recs := queryAll[CorrelateRecord](t, env); len(recs) != 10*3 {
		t.Errorf("%d progress records, want 30", len(recs))
	}
	if _, err := study.WriteRun(remote, out.Rows); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, local.Out, remote.Out, study.SummaryFile, study.ResultsFile)
}

func TestWorkerOfAnotherVersionRefuses(t *testing.T) {
	env := quietSuite().NewTestActivityEnvironment()
	acts := fakeActivities("p1/old", 0)
	env.RegisterActivityWithOptions(acts.Measure, activity.RegisterOptions{Name: MeasureActivity})
	_, err := env.ExecuteActivity(MeasureActivity, MeasureInput{Version: Version(), Settings: testSettings, Arch: "8,2,3|4,1,2|4,1,4|4,1,6|32"})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != IncompatibleWorker || app.NonRetryable() {
		t.Fatalf("got %v, want a retryable %s error", err, IncompatibleWorker)
	}
	// The same worker at the right version measures.
	acts.Version = Version()
	v, err := env.ExecuteActivity(MeasureActivity, MeasureInput{Version: Version(), Settings: testSettings, Arch: "8,2,3|4,1,2|4,1,4|4,1,6|32"})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		NTKCond runs.Float `json:"ntk_cond"`
	}
	if err := v.Get(&m); err != nil || !(m.NTKCond > 0) {
		t.Errorf("measure %+v, %v", m, err)
	}
}

func TestHistoryLimits(t *testing.T) {
	in := SearchInput{Config: search.DefaultConfig()}
	in.Config.BatchSize = 10
	if err := in.CheckSize(); err != nil {
		t.Errorf("500 steps of 10: %v", err)
	}
	in.Config.BatchSize = 20
	if err := in.CheckSize(); err == nil || !strings.Contains(err.Error(), "500 steps × 20 topologies") {
		t.Errorf("500 steps of 20: %v, want a refusal", err)
	}
	c := CorrelateInput{Config: study.DefaultConfig()}
	c.Config.N, c.Config.TrainSeeds = 1000, []uint64{0, 1, 2}
	if err := c.CheckSize(); err != nil {
		t.Errorf("1000 topologies × 3 seeds: %v", err)
	}
	c.Config.N = 5000
	if err := c.CheckSize(); err == nil || !strings.Contains(err.Error(), "5000 topologies") {
		t.Errorf("5000 topologies × 3 seeds: %v, want a refusal", err)
	}
}
