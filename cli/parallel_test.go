package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asvit/asvit/internal/jsonstrip"
	"github.com/asvit/asvit/runs"
)

// --parallel 2 on two threads runs two measurers of one thread each, so a
// scale and a batched search give the files of a one-thread run whatever
// measurer took which candidate; --parallel below 1 is a usage error.
func TestParallelEqualsOneThread(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"search", []string{"search", "--img", "32", "--repeat", "1", "--curve", "4", "--batch", "4", "--steps", "3", "--batch-size", "4"}},
		{"scale", []string{"scale", "--img", "32", "--repeat", "1", "--curve", "4", "--batch", "4", "--max-params", "3e6"}},
	} {
		one, two := filepath.Join(dir, c.name+"-1"), filepath.Join(dir, c.name+"-2")
		if code, _, errOut := runApp(t, context.Background(), append([]string{"--threads", "1"}, append(c.args, "--out", one)...)...); code != 0 {
			t.Fatalf("%s on one thread: exit %d: %s", c.name, code, errOut)
		}
		if code, _, errOut := runApp(t, context.Background(), append([]string{"--threads", "2"}, append(c.args, "--parallel", "2", "--out", two)...)...); code != 0 {
			t.Fatalf("%s --parallel 2: exit %d: %s", c.name, code, errOut)
		}
		for _, f := range []string{runs.ResultFile, runs.LogFile} {
			a, errA := os.ReadFile(filepath.Join(one, f))
			b, errB := os.ReadFile(filepath.Join(two, f))
			if errA != nil || errB != nil {
				t.Fatalf("%s: %v %v", f, errA, errB)
			}
			if f == runs.LogFile { // wall times differ
				if a, errA = jsonstrip.Without(a, "seconds"); errA == nil {
					b, errB = jsonstrip.Without(b, "seconds")
				}
				if errA != nil || errB != nil {
					t.Fatalf("%s: %v %v", f, errA, errB)
				}
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs between one thread and --parallel 2:\n%s\n%s", c.name, f, a, b)
			}
		}
	}
	for _, n := range []string{"-1", "0"} {
		code, _, errOut := runApp(t, context.Background(), "scale", "--img", "32", "--parallel", n, "--out", filepath.Join(dir, "bad"+n))
		if code != ExitUsage || !strings.Contains(errOut, "--parallel: got "+n) {
			t.Errorf("--parallel %s: exit %d, %s; want a usage error", n, code, errOut)
		}
	}
}
