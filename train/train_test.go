package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/advancedclimatesystems/gonnx/onnx"
	protobuf "google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/internal/prereq"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
)

// The test binary doubles as a training process to be killed: with
// childConfigEnv set to a Config in JSON it trains, blocking forever once
// it reaches step childBlockStep after writing childMarker in cfg.Out.
const (
	childConfigEnv = "ASVIT_TRAIN_TEST_CHILD"
	childBlockStep = 11
	childMarker    = "blocked"
)

func TestMain(m *testing.M) {
	if raw := os.Getenv(childConfigEnv); raw != "" {
		var cfg Config
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			panic(err)
		}
		cfg.Out = os.Getenv(childConfigEnv + "_OUT")
		_, err := Run(context.Background(), cfg, blockAt{step: childBlockStep, marker: filepath.Join(cfg.Out, childMarker)})
		panic(err) // never reached without an error: blockAt blocks
	}
	os.Exit(m.Run())
}

// blockAt writes marker and blocks forever when step is reached.
type blockAt struct {
	NopProgress
	step   int
	marker string
}

func (b blockAt) Step(s StepInfo) {
	if s.Step == b.step {
		if err := os.WriteFile(b.marker, nil, 0o644); err != nil {
			panic(err)
		}
		select {}
	}
}

// cancelAt cancels a context when step is reached.
type cancelAt struct {
	NopProgress
	step   int
	cancel context.CancelFunc
}

func (c cancelAt) Step(s StepInfo) {
	if s.Step == c.step {
		c.cancel()
	}
}

// stripesConfig trains tinyArch on a stripes dataset of 288 training
// images at 64 px, 32 of them held out for validation, switching from
// stride 8 to 4 half way: 8 steps per epoch.
func stripesConfig(dataDir, out string) Config {
	cfg := DefaultConfig(tinyArch)
	cfg.Data, cfg.Out = dataDir, out
	cfg.ValFraction = 1.0 / 9
	cfg.Image, cfg.Epochs, cfg.Batch = 64, 4, 32
	cfg.LR, cfg.Retoken = 3e-3, "8x1:0.5,4x1:0.5"
	cfg.Augment = data.Augment{CropPad: 4}
	return cfg
}

// TestRunLearnsStripesAndExports trains on two classes of stripes with a
// re-tokenization switch and checks the files of the run, the learning,
// and that the exported model scores on the test split what the run
// reported.
func TestRunLearnsStripesAndExports(t *testing.T) {
	dataDir := writeStripesDataset(t, 288, 64, 64)
	out := filepath.Join(t.TempDir(), "run")
	cfg := stripesConfig(dataDir, out)
	cfg.LogEvery = 4
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result: acc %.3f (epoch %d), %.0f images/s, FLOPs %.3g saved %.3f", res.TestAcc, res.BestEpoch, res.TrainImagesPerS, res.TrainFLOPs, res.Saved)
	if res.TestAcc < 0.8 {
		t.Errorf("test accuracy %.3f on two classes of stripes; want ≥ 0.8 (chance is 0.5)", res.TestAcc)
	}
	if res.Steps != 32 || len(res.SecondsPerEpoch) != 4 || res.TrainImagesPerS <= 0 || res.Schedule != "8x1:0.5,4x1:0.5" ||
		res.TrainImages != 256 || res.ValImages != 32 {
		t.Errorf("result %+v", res)
	}
	// Two phases of 2 epochs × 256 images: 6·MACs·512 each.
	fine, coarse := newModel(t, tinyArch, 64, 1, 2, 4), newModel(t, tinyArch, 64, 1, 2, 8)
	if want := 6 * 512 * float64(fine.MACs()+coarse.MACs()); res.TrainFLOPs != want || len(res.Phases) != 2 {
		t.Errorf("train FLOPs %g over %d phases, want %g over 2", res.TrainFLOPs, len(res.Phases), want)
	}

	var saved Result
	readJSON(t, filepath.Join(out, runs.ResultFile), &saved)
	if saved.TestAcc != res.TestAcc || saved.TrainFLOPs != res.TrainFLOPs {
		t.Errorf("result.json %+v differs from the returned result", saved)
	}
	epochs, steps := mustReadLog(t, out)
	if len(epochs) != 4 || len(steps) != 8 {
		t.Fatalf("log has %d epoch and %d step records, want 4 and 8", len(epochs), len(steps))
	}
	best := 0
	for i, e := range epochs {
		if e.ValAcc > epochs[best].ValAcc {
			best = i
		}
	}
	if b := epochs[best]; res.BestEpoch != b.Epoch || res.ValAcc != float64(b.ValAcc) || res.TestAcc != b.TestAcc {
		t.Errorf("exported epoch %d (val %.4f, test %.4f); the first best validation epoch is %d (val %.4f, test %.4f)",
			res.BestEpoch, res.ValAcc, res.TestAcc, b.Epoch, b.ValAcc, b.TestAcc)
	}
	for i, e := range epochs {
		if wantStride := []int{8, 8, 4, 4}[i]; e.Stride != wantStride || e.Phase != 1+i/2 || e.Step != 8*(i+1) {
			t.Errorf("epoch record %d: %+v", i+1, e)
		}
	}
	f, err := os.Open(filepath.Join(out, CurvesFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(f); err != nil {
		t.Errorf("learning curve: %v", err)
	}
	f.Close()

	if acc := exportedAccuracy(t, filepath.Join(out, ModelFile), dataDir, 64); acc != res.TestAcc {
		t.Errorf("exported model scores %.4f on the test split, the run reported %.4f", acc, res.TestAcc)
	}

	// The finished directory refuses a fresh run and a resume that changes
	// the configuration.
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("second run into the same directory: err = %v", err)
	}
	// How it executes may change: resuming the finished run with one thread
	// only exports again.
	fewer := cfg
	fewer.ORT.Threads = 1
	resume(t, fewer)
	changed := cfg
	changed.Resume, changed.LR, changed.Epochs = true, 1e-2, 6
	_, err = Run(context.Background(), changed, nil)
	if err == nil || !strings.Contains(err.Error(), "epochs (run 4, given 6)") || !strings.Contains(err.Error(), "lr (run 0.003, given 0.01)") {
		t.Errorf("resume with other settings: err = %v", err)
	}

	// model.onnx is the best checkpoint's export; the last checkpoint and
	// the backbone outputs export as well (checked last: without the
	// ONNX checker the test skips there).
	model, err := os.ReadFile(filepath.Join(out, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		checkpoint string
		output     export.Output
		epoch      int
	}{{BestFile, export.Logits, res.BestEpoch}, {LastFile, export.Stages, 4}, {LastFile, export.Features, 4}} {
		b, meta, err := Export(out, c.checkpoint, c.output, "")
		if err != nil {
			t.Fatal(err)
		}
		if meta.Output != c.output || meta.Epoch != c.epoch || meta.Step != 8*c.epoch || meta.Weights != c.checkpoint ||
			meta.PatchStride != epochs[c.epoch-1].Stride || meta.Seed != cfg.Seed || meta.Classes != 2 {
			t.Errorf("export of %s with %s: metadata %+v", c.checkpoint, c.output, meta)
		}
		if c.checkpoint == BestFile && !bytes.Equal(b, model) {
			t.Errorf("export of the best checkpoint differs from %s", ModelFile)
		}
		path := filepath.Join(t.TempDir(), "m.onnx")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		prereq.CheckONNX(t, path)
	}
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

func mustReadLog(tb testing.TB, dir string) ([]EpochRecord, []StepRecord) {
	tb.Helper()
	epochs, steps, err := readLog(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return epochs, steps
}

// exportedAccuracy runs the exported model, with its own normalisation
// metadata, over the test split of dataDir.
func exportedAccuracy(tb testing.TB, path, dataDir string, image int) float64 {
	tb.Helper()
	model, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var proto onnx.ModelProto
	if err := protobuf.Unmarshal(model, &proto); err != nil {
		tb.Fatal(err)
	}
	meta := map[string]string{}
	for _, p := range proto.GetMetadataProps() {
		meta[p.GetKey()] = p.GetValue()
	}
	m, err := export.Decode(meta)
	if err != nil {
		tb.Fatal(err)
	}
	if !slices.Equal(m.ClassNames, []string{"horizontal", "vertical"}) || m.Weights != export.WeightsBest || m.Output != export.Logits {
		tb.Errorf("exported model's metadata %+v", m)
	}
	mean, std := m.Mean, m.Std
	ds, err := data.Open(dataDir, data.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	loader, err := data.NewLoader(ds.Test, data.LoaderOptions{Batch: 50, Size: image, Channels: 1, Mean: mean, Std: std})
	if err != nil {
		tb.Fatal(err)
	}
	sess, err := ort.NewSession(model, nil, nil, ort.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer sess.Destroy()
	correct, n := 0, 0
	for i := range loader.Len() {
		b, err := loader.BatchAt(i, nil)
		if err != nil {
			tb.Fatal(err)
		}
		x, err := ort.NewFloat32(b.Shape(), b.X)
		if err != nil {
			tb.Fatal(err)
		}
		outs, err := sess.Run([]*ort.Tensor{x})
		x.Destroy()
		if err != nil {
			tb.Fatal(err)
		}
		correct += Correct(outs[0].Float32s(), b.Labels, len(ds.Classes))
		n += b.N
		ort.DestroyAll(outs)
	}
	return float64(correct) / float64(n)
}

// TestResumeReproducesUninterruptedRun trains the same run four ways:
// straight through; cancelled at step 13 and resumed; killed (SIGKILL, in a
// child process) at step 11 with the last checkpoint at step 8 and step
// records written past it, then resumed; and resumed from a directory
// holding only config.json (killed before its first checkpoint). The final
// weights and moments must be identical to the bit, and so must the logs
// but for timings.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	dataDir := writeStripesDataset(t, 288, 64, 64)
	base := t.TempDir()
	config := func(name string) Config {
		cfg := stripesConfig(dataDir, filepath.Join(base, name))
		cfg.Epochs, cfg.CheckpointEvery, cfg.LogEvery = 3, 4, 1
		return cfg
	}
	straight := config("straight")
	if _, err := Run(context.Background(), straight, nil); err != nil {
		t.Fatal(err)
	}

	cancelled := config("cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, cancelled, cancelAt{step: 13, cancel: cancel})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: err = %v, want context.Canceled", err)
	}
	resume(t, cancelled)

	killed := config("killed")
	killChild(t, killed)
	if c, err := ReadCheckpoint(filepath.Join(killed.Out, LastFile)); err != nil || c.Step != 8 {
		t.Fatalf("after the kill: last checkpoint %v, %v; want step 8", c, err)
	}
	resumed, err := ReadConfig(killed.Out)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Out != killed.Out || !resumed.Resume || resumed.LR != killed.LR {
		t.Errorf("ReadConfig gave %+v", resumed)
	}
	resume(t, resumed)

	early := config("early")
	if err := os.MkdirAll(early.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(straight.Out, runs.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(early.Out, runs.ConfigFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	resume(t, early)

	want := mustCheckpoint(t, straight.Out)
	for _, run := range []Config{cancelled, killed, early} {
		got := mustCheckpoint(t, run.Out)
		if got.Step != want.Step || got.BestEpoch != want.BestEpoch || got.BestValAcc != want.BestValAcc {
			t.Errorf("%s: step %d, best %v at %d; straight run %d, %v at %d", run.Out, got.Step, got.BestValAcc, got.BestEpoch, want.Step, want.BestValAcc, want.BestEpoch)
		}
		for i := range want.Data {
			for j := range want.Data[i] {
				if math.Float32bits(got.Data[i][j]) != math.Float32bits(want.Data[i][j]) {
					t.Fatalf("%s: %s[%d] = %v, straight run %v", run.Out, want.Tensors[i].Name, j, got.Data[i][j], want.Data[i][j])
				}
			}
		}
		compareLogs(t, run.Out, straight.Out)
	}
}

func resume(tb testing.TB, cfg Config) {
	tb.Helper()
	cfg.Resume = true
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		tb.Fatalf("resume %s: %v", cfg.Out, err)
	}
}

// killChild runs cfg in a child process and kills it once it blocks.
func killChild(tb testing.TB, cfg Config) {
	tb.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childConfigEnv+"="+string(raw), childConfigEnv+"_OUT="+cfg.Out)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(cfg.Out, childMarker)); err == nil {
			break
		}
		select {
		case err := <-exited:
			tb.Fatalf("child exited before blocking: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			tb.Fatal("child did not reach the blocking step within a minute")
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	<-exited
}

func mustCheckpoint(tb testing.TB, dir string) *Checkpoint {
	tb.Helper()
	c, err := ReadCheckpoint(filepath.Join(dir, LastFile))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// compareLogs requires the same records in both logs, timings aside.
func compareLogs(tb testing.TB, dir, ref string) {
	tb.Helper()
	gotE, gotS := mustReadLog(tb, dir)
	wantE, wantS := mustReadLog(tb, ref)
	if len(gotE) != len(wantE) || len(gotS) != len(wantS) {
		tb.Fatalf("%s: %d epoch and %d step records, straight run %d and %d", dir, len(gotE), len(gotS), len(wantE), len(wantS))
	}
	for i := range gotS {
		if gotS[i] != wantS[i] {
			tb.Errorf("%s: step record %+v, straight run %+v", dir, gotS[i], wantS[i])
		}
	}
	for i := range gotE {
		g, w := gotE[i], wantE[i]
		g.TrainSeconds, g.EvalSeconds, g.ImagesPerS = 0, 0, 0
		w.TrainSeconds, w.EvalSeconds, w.ImagesPerS = 0, 0, 0
		if g != w {
			tb.Errorf("%s: epoch record %+v, straight run %+v", dir, g, w)
		}
	}
}

// TestRunLearnsEmbeddedSample trains a small network for three epochs on
// the embedded Fashion-MNIST sample (10 classes, chance 10%).
func TestRunLearnsEmbeddedSample(t *testing.T) {
	cfg := DefaultConfig("4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|16,16")
	cfg.Out, cfg.Epochs, cfg.Batch, cfg.LR = t.TempDir(), 3, 64, 2e-3
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test accuracy %.3f after %d epochs, %.0f images/s", res.TestAcc, res.Epochs, res.TrainImagesPerS)
	if res.TestAcc < 0.5 {
		t.Errorf("test accuracy %.3f; want ≥ 0.5 (chance is 0.1)", res.TestAcc)
	}
}

// BenchmarkRunSeed32 trains the searched seed on the embedded sample at
// 32 px, batch 128, for two epochs per iteration, and reports the run's
// training throughput (steps with data loading, evaluation excluded).
func BenchmarkRunSeed32(b *testing.B) {
	var ips float64
	for b.Loop() {
		cfg := DefaultConfig(seedArch)
		cfg.Out, cfg.Epochs = filepath.Join(b.TempDir(), "run"), 2
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		ips = res.TrainImagesPerS
	}
	b.ReportMetric(ips, "train-images/s")
}
