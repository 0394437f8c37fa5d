//go:build devserver

package flow

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/asvit/asvit/devserver"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// A worker process: the test binary run again with workerEnv set to
// "HOSTPORT QUEUE VERSION DELAY". It prints "start ARCH" as each measure
// begins and runs until killed.
const workerEnv = "ASVIT_FLOW_TEST_WORKER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(runTestWorker(spec))
	}
	os.Exit(m.Run())
}

func runTestWorker(spec string) int {
	var hostPort, queue, version string
	var delay time.Duration
	if _, err := fmt.Sscan(spec, &hostPort, &queue, &version, &delay); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := client.Dial(client.Options{HostPort: hostPort, Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	acts := fakeActivities(version, delay)
	acts.Evaluator = func(json.RawMessage) (trainfree.Evaluator, error) {
		measure := hashMeasure(delay)
		return trainfree.EvaluatorFunc(func(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
			fmt.Println("start", t)
			return measure(ctx, t)
		}), nil
	}
	w := NewWorker(c, queue, acts, 1)
	fmt.Println("ready")
	if err := w.Run(make(chan any)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// testWorker is a worker process and the lines it printed.
type testWorker struct {
	cmd    *exec.Cmd
	starts chan string // the topologies it began to measure
}

func startWorker(t *testing.T, hostPort, queue, version string, delay time.Duration) *testWorker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %s", workerEnv, hostPort, queue, version, delay))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &testWorker{cmd: cmd, starts: make(chan string, 1000)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if line == "ready" {
				close(ready)
			} else if arch, ok := strings.CutPrefix(line, "start "); ok {
				w.starts <- arch
			}
		}
	}()
	t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not start")
	}
	return w
}

// TestEndToEnd runs search workflows on a real Temporal server on loopback
// with worker processes: a worker killed inside an activity, a driver that
// stops following and re-attaches, a worker of another version, and a
// replay of the finished history.
func TestEndToEnd(t *testing.T) {
	srv, err := devserver.StartOnFreePorts(devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cfg := search.DefaultConfig()
	cfg.Steps, cfg.Seed, cfg.BatchSize = 6, 3, 4
	cfg.EvalSettings = testSettings
	local := cfg
	local.Dir = filepath.Join(t.TempDir(), "local")
	if _, err := search.Run(context.Background(), local, hashMeasure(0), nil); err != nil {
		t.Fatal(err)
	}
	in := SearchInput{Config: cfg, Version: Version(), Settings: testSettings,
		Timeouts: Timeouts{Heartbeat: 2 * time.Second, StartToClose: time.Minute}}

	t.Run("worker killed inside an activity", func(t *testing.T) {
		a := startWorker(t, srv.HostPort(), "q1", Version(), 400*time.Millisecond)
		startWorker(t, srv.HostPort(), "q1", Version(), 400*time.Millisecond)
		var killed atomic.Bool
		go func() {
			<-a.starts
			time.Sleep(100 * time.Millisecond)
			killed.Store(a.cmd.Process.Kill() == nil)
		}()
		var out SearchOutput
		start := time.Now()
		recs, err := Follow(context.Background(), c, Run{ID: "e2e-kill", TaskQueue: "q1", Poll: 200 * time.Millisecond}, SearchWorkflow, in, func(search.StepRecord) {}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if !killed.Load() {
			t.Error("the first worker was never killed")
		}
		remote := cfg
		remote.Dir = filepath.Join(t.TempDir(), "remote")
		if _, err := search.WriteRun(remote, recs, out.Checkpoint); err != nil {
			t.Fatal(err)
		}
		sameFiles(t, local.Dir, remote.Dir, runs.ResultFile, runs.CheckpointFile, runs.LogFile)
		t.Logf("%d records in %v with a worker killed", len(recs), time.Since(start).Round(time.Millisecond))
		events := replay(t, c, "e2e-kill")
		if bound := historyEvents(cfg.Steps*cfg.BatchSize, cfg.Steps); events > bound {
			t.Errorf("the history has %d events, more than the %d CheckSize allows for", events, bound)
		}
		t.Logf("history: %d events, estimated at most %d", events, historyEvents(cfg.Steps*cfg.BatchSize, cfg.Steps))
	})

	t.Run("driver re-attaches", func(t *testing.T) {
		startWorker(t, srv.HostPort(), "q2", Version(), 50*time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		run := Run{ID: "e2e-attach", TaskQueue: "q2", Poll: 100 * time.Millisecond}
		var seen []search.StepRecord
		var out SearchOutput
		_, err := Follow(ctx, c, run, SearchWorkflow, in, func(r search.StepRecord) {
			if seen = append(seen, r); len(seen) == 4 {
				cancel() // the driver dies; the workflow goes on
			}
		}, &out)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped driver: %v", err)
		}
		recs, err := Follow(context.Background(), c, run, SearchWorkflow, in, func(search.StepRecord) {}, &out)
		if err != nil {
			t.Fatal(err)
		}
		remote := cfg
		remote.Dir = filepath.Join(t.TempDir(), "remote")
		if _, err := search.WriteRun(remote, recs, out.Checkpoint); err != nil {
			t.Fatal(err)
		}
		sameFiles(t, local.Dir, remote.Dir, runs.ResultFile, runs.LogFile)
		// Once more after the end, and with other settings: refused.
		if again, err := Follow(context.Background(), c, run, SearchWorkflow, in, func(search.StepRecord) {}, &out); err != nil || len(again) != len(recs) {
			t.Errorf("re-attach to the finished workflow: %d records, %v", len(again), err)
		}
		other := in
		other.Config.Seed++
		if _, err := Follow(context.Background(), c, run, SearchWorkflow, other, func(search.StepRecord) {}, &out); err == nil || !strings.Contains(err.Error(), "other settings") {
			t.Errorf("re-attach with another seed: %v, want a refusal", err)
		}
	})

	t.Run("worker of another version refuses", func(t *testing.T) {
		startWorker(t, srv.HostPort(), "q3", "p1/other", 0)
		small := in
		small.Config.Steps, small.Config.BatchSize = 2, 1
		wr, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "e2e-version", TaskQueue: "q3"}, SearchWorkflow, small)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for refused := false; !refused; time.Sleep(200 * time.Millisecond) {
			d, err := c.DescribeWorkflowExecution(context.Background(), wr.GetID(), wr.GetRunID())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range d.PendingActivities {
				if f := p.GetLastFailure(); f != nil && strings.Contains(f.GetMessage(), "refused") {
					refused = true
					t.Logf("pending activity: %s", f.GetMessage())
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no refusal seen")
			}
		}
		startWorker(t, srv.HostPort(), "q3", Version(), 0)
		var out SearchOutput
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := wr.Get(ctx, &out); err != nil || out.Result.Steps != 2 {
			t.Fatalf("after a worker of the right version joined: %+v, %v", out.Result, err)
		}
	})
}

// replay replays a finished workflow's history with today's code (any
// nondeterminism fails) and returns its number of events.
func replay(t *testing.T, c client.Client, id string) int {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(Search, workflow.RegisterOptions{Name: SearchWorkflow})
	if err := r.ReplayWorkflowHistory(quietLogger(), h); err != nil {
		t.Fatalf("replay of %s (%d events): %v", id, len(h.Events), err)
	}
	return len(h.Events)
}
