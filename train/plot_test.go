package train

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/runs"
)

// writeLog starts a run directory in dir with the given schedule and
// appends recs to its log.
func writeLog(t *testing.T, dir, schedule string, recs ...any) {
	t.Helper()
	cfg := DefaultConfig(tinyArch)
	cfg.Image, cfg.Epochs, cfg.Retoken = 64, 3, schedule
	d, err := runs.Open(dir, Kind, configFile{Config: cfg, Schedule: schedule, Classes: []string{"a", "b"},
		Input: input{Channels: 1, Mean: []float32{0.5}, Std: []float32{0.25}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, r := range recs {
		if err := d.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

// stepRecords logs every step of epochs first..last, 10 steps each, with
// the loss falling from 4 and the phase of phaseOf.
func stepRecords(first, last int, phaseOf func(epoch int) int) []any {
	var out []any
	for e := first; e <= last; e++ {
		for k := 1; k <= 10; k++ {
			step := 10*(e-1) + k
			out = append(out, StepRecord{Kind: KindStep, Epoch: e, Step: step, Phase: phaseOf(e), Loss: 4 / float64(step), LR: 1e-3})
		}
	}
	return out
}

func epochRecord(epoch, phase, stride int) EpochRecord {
	return EpochRecord{Kind: KindEpoch, Epoch: epoch, Step: 10 * epoch, Phase: phase, Stride: stride, Dilation: 1,
		TrainLoss: 1, TrainAcc: 0.5, ValLoss: 1, ValAcc: 0.5, TestLoss: 1, TestAcc: 0.5}
}

// TestPlotDrawsEveryStepRecord draws a two-epoch run with a switch after
// the first epoch and a run still in its first epoch: the loss panel
// spans the step records' losses (4 at step 1, far above the epoch means
// of 1), and the switch sits at the first epoch's last step.
func TestPlotDrawsEveryStepRecord(t *testing.T) {
	phase := func(e int) int { return min(e, 2) }
	recs := append(stepRecords(1, 1, phase), epochRecord(1, 1, 8))
	recs = append(recs, append(stepRecords(2, 2, phase), epochRecord(2, 2, 4))...)
	finished := filepath.Join(t.TempDir(), "run")
	writeLog(t, finished, "8x1:0.5,4x1:0.5", recs...)
	running := filepath.Join(t.TempDir(), "run")
	writeLog(t, running, "8x1:0.5,4x1:0.5", stepRecords(1, 1, phase)[:4]...)
	for _, dir := range []string{finished, running} {
		if err := Plot(dir); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, CurvesFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		f.Close()
	}

	epochs, steps, err := readLog(finished)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := curves(epochs, steps, Schedule{{Stride: 8, Dilation: 1, Fraction: 0.5}, {Stride: 4, Dilation: 1, Fraction: 0.5}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	loss := grid[0][0]
	if loss.Y.Max != 4 || loss.X.Min != 0 || loss.X.Max != 2 || loss.X.Label.Text != "epoch" {
		t.Errorf("loss panel spans x %v..%v (%s), y ..%v; want 0..2 epochs and the first step's loss 4",
			loss.X.Min, loss.X.Max, loss.X.Label.Text, loss.Y.Max)
	}
	if got := switches(epochs, steps); !slices.Equal(got, []tokenizerSwitch{{step: 10, phase: 2}}) {
		t.Errorf("switches %v, want one at step 10 to phase 2", got)
	}
	// The epoch in progress tells its phase by its step records.
	if got := switches(epochs[:1], steps); !slices.Equal(got, []tokenizerSwitch{{step: 10, phase: 2}}) {
		t.Errorf("switches while epoch 2 runs: %v, want one at step 10", got)
	}
	if got := switches(epochs[:1], steps[:10]); len(got) != 0 {
		t.Errorf("switches before epoch 2 started: %v, want none", got)
	}
}

// TestOldRunDirectoriesAreRefused resumes, plots and exports a directory
// whose config.json is a bare Config, as versions before package runs
// wrote it: each says an older asvit made it.
func TestOldRunDirectoriesAreRefused(t *testing.T) {
	dir := t.TempDir()
	old := `{"arch":"` + tinyArch + `","image":64,"epochs":4,"batch":32,"version":"0.1.0-dev","schedule":"4x1:1","classes":["a","b"]}`
	if err := os.WriteFile(filepath.Join(dir, runs.ConfigFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(tinyArch)
	cfg.Out, cfg.Resume, cfg.Image = dir, true, 64
	_, resumeErr := Run(t.Context(), cfg, nil)
	_, _, exportErr := Export(dir, BestFile, "logits", "")
	for _, err := range []error{resumeErr, Plot(dir), exportErr} {
		if err == nil || !strings.Contains(err.Error(), "older asvit") {
			t.Errorf("got %v, want a refusal naming an older asvit", err)
		}
	}
}
