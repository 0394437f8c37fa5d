package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stageStop is auto's error output that cancels the run inside one stage:
// at the first write after the line that starts the stage ("== stage")
// once file (relative to the run directory; "" for none) exists.
type stageStop struct {
	dir, stage, file string
	cancel           context.CancelFunc
	begun, stopped   bool
}

func (s *stageStop) Write(p []byte) (int, error) {
	if !s.begun {
		s.begun = strings.HasPrefix(string(p), "== "+s.stage)
	}
	if s.begun && !s.stopped {
		if _, err := os.Stat(filepath.Join(s.dir, s.file)); s.file == "" || err == nil {
			s.stopped = true
			s.cancel()
		}
	}
	return len(p), nil
}

// autoOutputs reads what an auto run leaves for its user: the report, with
// the measured throughput (which no two runs share) masked, and the model.
func autoOutputs(t *testing.T, dir string) (report string, model []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	report = regexp.MustCompile(`[0-9]+ training images/s`).ReplaceAllString(string(b), "N training images/s")
	if model, err = os.ReadFile(filepath.Join(dir, "train", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	return report, model
}

// TestAutoResumesAfterAKillInEachStage interrupts auto inside each stage
// (search after its first step, scale after its first step, train after its
// first epoch, and before the report), resumes it, and requires the report
// and the model of an uninterrupted run. Stages that never began start on
// resume.
func TestAutoResumesAfterAKillInEachStage(t *testing.T) {
	initORT(t)
	base := t.TempDir()
	dir := filepath.Join(base, "auto") // every run uses this path, which the report names
	args := append([]string{"auto", "--out", dir, "--steps", "3", "--epochs", "2", "--max-params", "4e6",
		"--train-batch", "32", "--train-images", "128"}, smallMeasure...)
	if code, _, errOut := runApp(t, context.Background(), args...); code != ExitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errOut)
	}
	wantReport, wantModel := autoOutputs(t, dir)
	if err := os.Rename(dir, filepath.Join(base, "uninterrupted")); err != nil {
		t.Fatal(err)
	}
	for _, stop := range []stageStop{
		{stage: "search", file: "search/checkpoint"},
		{stage: "scale", file: "scale/checkpoint"},
		{stage: "train", file: "train/last"},
		{stage: "report"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		stop.dir, stop.cancel = dir, cancel
		var out bytes.Buffer
		code := Run(ctx, append([]string{"asvit"}, args...), &out, &stop)
		cancel()
		if code != ExitInterrupted || !stop.stopped {
			t.Fatalf("run stopped in %s: exit %d (stopped %v), want %d", stop.stage, code, stop.stopped, ExitInterrupted)
		}
		if _, err := os.Stat(filepath.Join(dir, "report.md")); err == nil {
			t.Fatalf("run stopped in %s wrote report.md", stop.stage)
		}
		if code, _, errOut := runApp(t, context.Background(), append(args, "--resume")...); code != ExitOK {
			t.Fatalf("resume after a stop in %s: exit %d: %s", stop.stage, code, errOut)
		}
		report, model := autoOutputs(t, dir)
		if report != wantReport {
			t.Errorf("stopped in %s and resumed: report\n%s\nwant\n%s", stop.stage, report, wantReport)
		}
		if !bytes.Equal(model, wantModel) {
			t.Errorf("stopped in %s and resumed: model.onnx differs from the uninterrupted run's", stop.stage)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
}
