package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestCorrelateUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "study")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--n", "2"}, "at least 3"},
		{[]string{"--train-seeds", "1,x"}, "train-seeds"},
		{[]string{"--val-fraction", "0"}, "validation split"},
		{[]string{"--arch", "8,2,3|4,1,2"}, "arch"},
		{[]string{"--remeasure"}, "--remeasure needs --resume"},
	} {
		code, _, errOut := runApp(t, context.Background(), append([]string{"correlate", "--out", out}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	if code, _, errOut := runApp(t, context.Background(), "correlate", "--report", out); code != 1 || !strings.Contains(errOut, "config.json") {
		t.Errorf("--report on no study: exit %d, stderr %q", code, errOut)
	}
}

// TestCorrelateTinyStudy runs a real study of 3 drawn topologies and the
// seed on the embedded sample, then reprints its table with --report.
func TestCorrelateTinyStudy(t *testing.T) {
	initORT(t)
	out := filepath.Join(t.TempDir(), "study")
	code, stdout, errOut := runApp(t, context.Background(), "--threads", "1", "correlate", "--n", "3", "--arch", seedArch,
		"--epochs", "1", "--batch", "32", "--train-images", "96", "--probe-batch", "4", "--curve", "4", "--repeat", "1",
		"--bootstrap", "100", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"3 drawn topologies complete", "| asvit_rank | − |", "given " + seedArch, "results.csv"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, report, errOut := runApp(t, context.Background(), "correlate", "--report", out)
	if code != 0 || !strings.HasPrefix(stdout, report) {
		t.Errorf("--report: exit %d, %s\n%q\nis not the start of the run's output\n%q", code, errOut, report, stdout)
	}
}
