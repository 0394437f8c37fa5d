//go:build devserver

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/asvit/asvit/devserver"
	"github.com/asvit/asvit/internal/jsonstrip"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/study"
)

// TestTemporalCommandsEqualLocalRuns runs search, scale and correlate as
// workflows on an in-process server with two 'asvit worker' commands, and
// the same commands locally: the run directories must agree (but for wall
// times). Both sides use one thread, as measures differ in the last bits
// between thread counts.
func TestTemporalCommandsEqualLocalRuns(t *testing.T) {
	initORT(t)
	srv, err := devserver.StartOnFreePorts(devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx, stopWorkers := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	logs := make([]string, 2)
	for i := range logs {
		wg.Go(func() {
			_, _, logs[i] = runApp(t, ctx, "--threads", "1", "worker", "--temporal", srv.HostPort(), "--task-queue", "cli")
		})
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		args  []string
		files []string
	}{
		{"search", []string{"search", "--img", "32", "--repeat", "1", "--curve", "4", "--batch", "4", "--steps", "3", "--batch-size", "3"},
			[]string{runs.ResultFile, runs.LogFile, runs.ConfigFile}},
		{"scale", []string{"scale", "--img", "32", "--repeat", "1", "--curve", "4", "--batch", "4", "--max-params", "3e6"},
			[]string{runs.ResultFile, runs.LogFile, runs.ConfigFile}},
		{"correlate", []string{"correlate", "--n", "3", "--epochs", "1", "--batch", "32", "--train-images", "64",
			"--probe-batch", "4", "--curve", "4", "--repeat", "1", "--bootstrap", "100"},
			[]string{study.SummaryFile}},
	} {
		local := filepath.Join(dir, c.name+"-local")
		remote := filepath.Join(dir, c.name+"-remote")
		if code, _, errOut := runApp(t, context.Background(), append([]string{"--threads", "1"}, append(c.args, "--out", local)...)...); code != 0 {
			t.Fatalf("%s locally: exit %d: %s", c.name, code, errOut)
		}
		args := append(c.args, "--out", remote, "--temporal", srv.HostPort(), "--task-queue", "cli")
		code, _, errOut := runApp(t, context.Background(), args...)
		if code != 0 {
			t.Fatalf("%s on Temporal: exit %d: %s", c.name, code, errOut)
		}
		if !strings.Contains(errOut, "workflow asvit/"+c.name+"/") {
			t.Errorf("%s: stderr does not name the workflow:\n%s", c.name, errOut)
		}
		for _, f := range c.files {
			a, errA := os.ReadFile(filepath.Join(local, f))
			b, errB := os.ReadFile(filepath.Join(remote, f))
			if errA != nil || errB != nil {
				t.Fatalf("%s: %v %v", f, errA, errB)
			}
			if f == runs.LogFile || f == study.SummaryFile { // wall times differ
				var errA, errB error
				a, errA = jsonstrip.Without(a, "seconds")
				b, errB = jsonstrip.Without(b, "seconds")
				if errA != nil || errB != nil {
					t.Fatalf("%s: %v %v", f, errA, errB)
				}
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs between the local and the Temporal run:\n%s\n%s", c.name, f, a, b)
			}
		}
		// Re-running the command re-attaches to the finished workflow,
		// but its --out now holds the result: refused.
		if code, _, errOut := runApp(t, context.Background(), args...); code != 2 || !strings.Contains(errOut, "holds a run already") {
			t.Errorf("%s again into the same --out: exit %d, %s", c.name, code, errOut)
		}
	}
	stopWorkers()
	wg.Wait()
	if all := logs[0] + logs[1]; !strings.Contains(all, "asvit.Measure") || !strings.Contains(all, "study train") {
		t.Errorf("the workers' logs do not name their activities:\n%s", all)
	}
}
