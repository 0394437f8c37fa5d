package detect

import (
	"context"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// tinyData is a detection set of 40 training and 10 validation canvases
// of 32 px with 1 or 2 objects of 8 to 24 px, made once per test binary.
var tinyData = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "asvit-detect-test-")
	if err != nil {
		return "", err
	}
	return dir, detdata.Generate(context.Background(), tinyDataConfig(32, 40, 10), dir, nil)
})

func tinyDataConfig(size, train, val int) detdata.Config {
	c := detdata.DefaultConfig()
	c.Size, c.Train, c.Val = size, train, val
	c.MinObjects, c.MaxObjects, c.MinSide, c.MaxSide = 1, 2, min(8, size/2), min(24, size)
	return c
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := tinyData(); err == nil && dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func tinySet(tb testing.TB) string {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
	}
	dir, err := tinyData()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// tinyConfig trains tinyArch (maps 8, 4, 2, 1 at 32 px) with a width-8
// neck for 2 epochs of 10 steps at batch 4.
func tinyConfig(data, out string) Config {
	cfg := DefaultConfig(tinyArch)
	cfg.Data, cfg.Out = data, out
	cfg.Width, cfg.Epochs, cfg.Batch, cfg.LR = 8, 2, 4, 3e-3
	cfg.ORT = ort.Options{Threads: 1}
	return cfg
}

// TestRunEndToEnd trains the tiny detector and checks every file of the
// run: the log's records, the checkpoints, result.json against the log,
// and that the written predictions, rescored, give the best epoch's
// validation summary and are those of the best checkpoint's predictor.
func TestRunEndToEnd(t *testing.T) {
	data := tinySet(t)
	out := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig(data, out)
	var steps, epochs int
	res, err := Run(context.Background(), cfg, progressFunc{step: func(StepInfo) { steps++ }, epoch: func(EpochRecord) { epochs++ }})
	if err != nil {
		t.Fatal(err)
	}
	if steps != 20 || epochs != 2 || res.Steps != 20 || res.TrainImages != 40 || res.ValImages != 10 {
		t.Errorf("progress saw %d steps and %d epochs; result %d steps, %d/%d images; want 20, 2, 20, 40/10",
			steps, epochs, res.Steps, res.TrainImages, res.ValImages)
	}
	for _, f := range []string{runs.ConfigFile, runs.LogFile, runs.ResultFile, LastFile, BestFile, CurvesFile, PredictionsFile, SamplesFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	for _, f := range []string{CurvesFile, SamplesFile} {
		checkPNG(t, filepath.Join(out, f))
	}
	eps, stepRecs, err := ReadLog(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 || len(stepRecs) != 20 { // 20 steps: a record every step
		t.Fatalf("%d epoch and %d step records, want 2 and 20", len(eps), len(stepRecs))
	}
	for _, s := range stepRecs {
		if !(s.Loss > 0) || math.Abs(s.Loss-s.HeatmapLoss-BoxWeight*s.BoxLoss) > 1e-4*s.Loss || !(s.LR > 0) {
			t.Errorf("step record %+v: want loss = heatmap + box > 0 and a learning rate", s)
		}
	}
	if !(eps[1].TrainLoss < stepRecs[0].Loss) {
		t.Errorf("epoch 2 mean loss %.3f is not below the first step's %.3f", eps[1].TrainLoss, stepRecs[0].Loss)
	}
	if res.BestEpoch < 1 || res.BestEpoch > 2 || res.Val != eps[res.BestEpoch-1].Val || res.FinalVal != eps[1].Val {
		t.Errorf("result: best epoch %d, val %+v, final %+v; log %+v", res.BestEpoch, res.Val, res.FinalVal, eps)
	}
	if res.MACs.Total <= res.MACs.Backbone || res.TrainFLOPsPerImage != 6*float64(res.MACs.Total) || res.Schedule != "4x1:1" {
		t.Errorf("result: MACs %+v, train FLOPs per image %g, schedule %s", res.MACs, res.TrainFLOPsPerImage, res.Schedule)
	}

	// The predictions file, rescored by package coco, is the best epoch's.
	gt, err := coco.Read(filepath.Join(data, "instances_val.json"))
	if err != nil {
		t.Fatal(err)
	}
	dets, err := coco.ReadResults(filepath.Join(out, PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	rescored, err := coco.Evaluate(gt, dets)
	if err != nil {
		t.Fatal(err)
	}
	if rescored.Summary != res.Val {
		t.Errorf("rescored predictions %+v, best epoch %+v", rescored.Summary, res.Val)
	}

	// The best checkpoint's predictor, at another batch size, agrees.
	p, err := OpenPredictor(out, BestFile, 3, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Destroy()
	val, err := detdata.OpenSplit(data, detdata.ValSplit)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Evaluate(val)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.COCO.AP-res.Val.AP) > 1e-6 || len(e.Results) != len(dets) {
		t.Errorf("predictor at batch 3: AP %v with %d detections; run %v with %d", e.COCO.AP, len(e.Results), res.Val.AP, len(dets))
	}

	// A finished run resumed does nothing more and gives the same result.
	cfg.Resume = true
	again, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.TrainImagesPerS, res.TrainImagesPerS = 0, 0
	if !reflect.DeepEqual(again, res) {
		t.Errorf("resumed finished run: %+v, want %+v", again, res)
	}
}

type progressFunc struct {
	step  func(StepInfo)
	epoch func(EpochRecord)
}

func (p progressFunc) Step(s StepInfo) {
	if p.step != nil {
		p.step(s)
	}
}

func (p progressFunc) Epoch(e EpochRecord) {
	if p.epoch != nil {
		p.epoch(e)
	}
}

func checkPNG(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return img
}

// TestResumeReproducesUninterruptedRun trains one run (with a
// re-tokenization switch, checkpoints every 3 steps and flips) four ways:
// straight through; again from scratch; cancelled at step 13 and resumed;
// and "killed" at step 8 (the directory as it was then, with the last
// checkpoint at step 6 and two step records past it) and resumed. All
// must end with the same weights and moments, to the bit, and the same
// log but for timings. A run with another seed ends elsewhere.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	data := tinySet(t)
	base := t.TempDir()
	config := func(name string) Config {
		cfg := tinyConfig(data, filepath.Join(base, name))
		cfg.Retoken, cfg.CheckpointEvery, cfg.LogEvery = "4x1:0.5,2x1:0.5", 3, 1
		return cfg
	}
	straight := config("straight")
	if _, err := Run(context.Background(), straight, nil); err != nil {
		t.Fatal(err)
	}
	again := config("again")
	if _, err := Run(context.Background(), again, nil); err != nil {
		t.Fatal(err)
	}

	cancelled := config("cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, cancelled, progressFunc{step: func(s StepInfo) {
		if s.Step == 13 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: err = %v, want context.Canceled", err)
	}
	resume(t, cancelled)

	killed := config("killed")
	scratch := config("scratch")
	ctx, cancel = context.WithCancel(context.Background())
	_, err = Run(ctx, scratch, progressFunc{step: func(s StepInfo) {
		if s.Step == 8 {
			copyDir(t, scratch.Out, killed.Out)
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run to be killed: err = %v, want context.Canceled", err)
	}
	if c, err := ReadCheckpoint(filepath.Join(killed.Out, LastFile)); err != nil || c.Step != 6 {
		t.Fatalf("the killed directory: last checkpoint %v, %v; want step 6", c, err)
	}
	resumed, err := ReadConfig(killed.Out)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Out != killed.Out || !resumed.Resume || resumed.Retoken != killed.Retoken {
		t.Errorf("ReadConfig gave %+v", resumed)
	}
	resume(t, resumed)

	want := mustCheckpoint(t, straight.Out)
	if want.Model.PatchStride != 2 || want.Step != 20 {
		t.Fatalf("straight run ends at stride %d after %d steps, want 2 and 20", want.Model.PatchStride, want.Step)
	}
	for _, run := range []Config{again, cancelled, killed} {
		got := mustCheckpoint(t, run.Out)
		if got.Step != want.Step || got.BestEpoch != want.BestEpoch || got.BestAP != want.BestAP {
			t.Errorf("%s: step %d, best AP %v at %d; straight run %d, %v at %d", run.Out, got.Step, got.BestAP, got.BestEpoch, want.Step, want.BestAP, want.BestEpoch)
		}
		if i, j, ok := sameBits(got.Data, want.Data); !ok {
			t.Fatalf("%s: %s[%d] = %v, straight run %v", run.Out, want.Tensors[i].Name, j, got.Data[i][j], want.Data[i][j])
		}
		compareLogs(t, run.Out, straight.Out)
		for _, f := range []string{PredictionsFile, SamplesFile} {
			a, errA := os.ReadFile(filepath.Join(run.Out, f))
			b, errB := os.ReadFile(filepath.Join(straight.Out, f))
			if errA != nil || errB != nil || string(a) != string(b) {
				t.Errorf("%s: %s differs from the straight run's (%v, %v)", run.Out, f, errA, errB)
			}
		}
	}

	other := config("other")
	other.Seed = 2
	if _, err := Run(context.Background(), other, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := sameBits(mustCheckpoint(t, other.Out).Data, want.Data); ok {
		t.Error("seeds 0 and 2 trained the same weights")
	}
}

func resume(tb testing.TB, cfg Config) {
	tb.Helper()
	cfg.Resume = true
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		tb.Fatalf("resume %s: %v", cfg.Out, err)
	}
}

// copyDir copies the files of src (one level deep, and the directory
// tree below it) into dst.
func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func mustCheckpoint(tb testing.TB, dir string) *Checkpoint {
	tb.Helper()
	c, err := ReadCheckpoint(filepath.Join(dir, LastFile))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// sameBits reports whether a and b hold the same values to the bit, or
// where they first differ.
func sameBits(a, b [][]float32) (int, int, bool) {
	for i := range b {
		for j := range b[i] {
			if i >= len(a) || j >= len(a[i]) || math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return i, j, false
			}
		}
	}
	return 0, 0, len(a) == len(b)
}

// compareLogs requires the same records in both logs, timings aside.
func compareLogs(tb testing.TB, dir, ref string) {
	tb.Helper()
	gotE, gotS, err := ReadLog(dir)
	if err != nil {
		tb.Fatal(err)
	}
	wantE, wantS, err := ReadLog(ref)
	if err != nil {
		tb.Fatal(err)
	}
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
		g.TrainSeconds, g.EvalSeconds, g.ImagesPerS, g.EvalImagesPerS = 0, 0, 0, 0
		w.TrainSeconds, w.EvalSeconds, w.ImagesPerS, w.EvalImagesPerS = 0, 0, 0, 0
		if g != w {
			tb.Errorf("%s: epoch record %+v, straight run %+v", dir, g, w)
		}
	}
}

// TestRunRejectsBadInput: mistakes found before the run directory is made
// leave no directory behind.
func TestRunRejectsBadInput(t *testing.T) {
	data := tinySet(t)
	small := t.TempDir()
	if err := detdata.Generate(context.Background(), tinyDataConfig(16, 4, 2), small, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"missing data", func(c *Config) { c.Data = filepath.Join(small, "nowhere") }, "not a directory"},
		{"not a set", func(c *Config) { c.Data = t.TempDir() }, "instances_train.json"},
		{"arch too big", func(c *Config) { c.Data = small }, "on 16 px canvases"},
		{"retoken too coarse", func(c *Config) { c.Retoken = "16x1:1" }, "retoken phase 1"},
		{"batch too large", func(c *Config) { c.Batch = 41 }, "batch 41 is larger than the 40 training canvases"},
		{"bad arch", func(c *Config) { c.Arch = "1,2" }, "arch"},
		{"no epochs", func(c *Config) { c.Epochs = 0 }, "epochs 0"},
		{"bad lr", func(c *Config) { c.LR = math.NaN() }, "lr"},
		{"negative width", func(c *Config) { c.Width = -1 }, "width -1"},
		{"bad retoken", func(c *Config) { c.Retoken = "4x1:0.5" }, "sum to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cfg := tinyConfig(data, out)
			c.edit(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the run directory was made (%v)", err)
			}
		})
	}
	// A resume with other settings is refused, naming them.
	out := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig(data, out)
	cfg.Epochs = 1
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Resume, cfg.LR = true, 1e-2
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "lr") {
		t.Errorf("resume with another lr: err = %v", err)
	}
}

// TestMACsByHand counts the tiny detector at 32 px (stage maps 8, 4, 2, 1
// of widths 4, 8, 16, 32; stride-4 side S = 8), width W = 4 and C = 3
// classes, conv = out_elements·(in·K² + 1):
//
//	laterals  64·4·5 + 16·4·9 + 4·4·17 + 1·4·33 = 1280 + 576 + 272 + 132 = 2260
//	smooth, heatmap.0, box.0   3 · 64·4·(36+1) = 3 · 9472 = 28416
//	heatmap.2  64·3·(4+1) = 960;  box.2  64·4·(4+1) = 1280
//	total 2260 + 28416 + 960 + 1280 = 32916
func TestMACsByHand(t *testing.T) {
	b := tinyDetector(t, 32).Backbone()
	spec := b.Spec()
	spec.PatchStride = 4
	m := detectorOn(t, spec, 3, 4)
	for i, want := range [4][2]int{{8, 4}, {4, 8}, {2, 16}, {1, 32}} {
		if s := m.Backbone().Stages()[i]; s.Res != want[0] || s.Dim != want[1] {
			t.Fatalf("stage %d is %d×%d of width %d, the count assumes %d and %d", i, s.Res, s.Res, s.Dim, want[0], want[1])
		}
	}
	got := m.MACs()
	bb := m.Backbone()
	if got.NeckHead != 32916 || got.Backbone != bb.MACs()-bb.Costs().Head.MACs || got.Total != got.Backbone+got.NeckHead {
		t.Errorf("MACs %+v; want neck and head 32916, backbone %d (the classifier's %d less its head)", got, bb.MACs()-bb.Costs().Head.MACs, bb.MACs())
	}
}

func detectorOn(tb testing.TB, spec vit.Spec, classes, width int) Model {
	tb.Helper()
	b, err := vit.New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(b, classes, width)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestFlipMirrorsImagesAndBoxes: on canvases with one object, no noise and
// no clutter, the object's pixels after the training batch's flip lie
// exactly in its flipped box, and about half of the images are flipped.
func TestFlipMirrorsImagesAndBoxes(t *testing.T) {
	tinySet(t)
	dir := t.TempDir()
	dc := tinyDataConfig(32, 16, 1)
	dc.MaxObjects, dc.Noise, dc.Clutter = 1, 0, 0
	if err := detdata.Generate(context.Background(), dc, dir, nil); err != nil {
		t.Fatal(err)
	}
	set, err := detdata.OpenSplit(dir, detdata.TrainSplit)
	if err != nil {
		t.Fatal(err)
	}
	mean, std := set.Stats()
	l, err := detdata.NewLoader(set, detdata.LoaderOptions{Batch: 16, Mean: mean, Std: std})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{cfg: Config{Flip: true, Seed: 5}}
	flips := 0
	for epoch := range 4 {
		r.state.Epoch = epoch
		b, err := l.Batch(0, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		boxes := make([][]Box, 16)
		r.augment(b, boxes)
		bg := -mean / std
		for j := range 16 {
			want := set.Objects[b.Index[j]][0].Box
			if flipped(5, epoch, b.Index[j]) {
				flips++
				want.X = 32 - want.X - want.W
			}
			got := boxes[j][0]
			if got.X != want.X || got.Y != want.Y || got.W != want.W || got.H != want.H {
				t.Fatalf("epoch %d image %d: box %+v, want %+v", epoch, j, got, want)
			}
			x0, y0, x1, y1 := 32, 32, 0, 0
			for p, v := range b.X[j*32*32 : (j+1)*32*32] {
				if v > bg {
					x0, y0, x1, y1 = min(x0, p%32), min(y0, p/32), max(x1, p%32+1), max(y1, p/32+1)
				}
			}
			if float64(x0) != got.X || float64(y0) != got.Y || float64(x1-x0) != got.W || float64(y1-y0) != got.H {
				t.Errorf("epoch %d image %d: pixels in [%d,%d)×[%d,%d), box %+v", epoch, j, x0, x1, y0, y1, got)
			}
		}
	}
	if flips < 16 || flips > 48 {
		t.Errorf("%d of 64 images flipped, want about half", flips)
	}
}

// TestDrawSamples draws a truth box and a detection and finds their
// colours on their outlines, scaled up to at least 256 px per canvas.
func TestDrawSamples(t *testing.T) {
	set := &detdata.Set{Pixels: make([]uint8, 2*32*32), N: 2, H: 32, W: 32, Classes: []string{"a", "b"},
		Objects: [][]detdata.Object{{{Box: coco.Box{X: 4, Y: 4, W: 10, H: 10}}}, nil}}
	dets := [][]Detection{{{Box: Box{X: 16, Y: 16, W: 8, H: 8, Class: 1}, Score: 0.9}, {Box: Box{X: 2, Y: 20, W: 5, H: 5}, Score: 0.1}}, nil}
	path := filepath.Join(t.TempDir(), "s.png")
	if err := DrawSamples(path, set, dets, 8, 0.3); err != nil {
		t.Fatal(err)
	}
	img := checkPNG(t, path)
	const scale, gap, header = 8, 4, 20
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2*256+3*gap || h != header+256+2*gap {
		t.Fatalf("grid %d×%d", w, h)
	}
	at := func(x, y int) [3]uint8 { // in the first tile's pixels
		r, g, b, _ := img.At(gap+x, header+gap+y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	}
	if c := at(4*scale, 9*scale); c != [3]uint8{TruthColor.R, TruthColor.G, TruthColor.B} {
		t.Errorf("left edge of the true box: %v", c)
	}
	if c := at(24*scale-1, 20*scale); c != [3]uint8{PredictedColor.R, PredictedColor.G, PredictedColor.B} {
		t.Errorf("right edge of the detection: %v", c)
	}
	if c := at(2*scale, 22*scale); c != [3]uint8{0, 0, 0} {
		t.Errorf("the detection below the minimum score is drawn: %v", c)
	}
}

// TestRunDefaultData trains without a data directory: DefaultData is
// generated into the run directory, and a resume whose copy of it is gone
// makes it again.
func TestRunDefaultData(t *testing.T) {
	tinySet(t)
	out := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig("", out)
	cfg.Epochs, cfg.Batch = 1, 128
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultData()
	if res.TrainImages != d.Train || res.ValImages != d.Val || res.Image != d.Size || res.Steps != d.Train/128 {
		t.Errorf("result %+v; want the default set's %d and %d canvases of %d px", res, d.Train, d.Val, d.Size)
	}
	stored, err := ReadConfig(out)
	if err != nil || DataPath(stored) != filepath.Join(out, DataDir) {
		t.Fatalf("data path %q, %v", DataPath(stored), err)
	}
	if err := os.RemoveAll(filepath.Join(out, DataDir)); err != nil {
		t.Fatal(err)
	}
	cfg.Resume = true
	again, err := Run(context.Background(), cfg, nil)
	if err != nil || again.Val != res.Val {
		t.Errorf("resumed after the data was removed: %+v, %v; want the same validation summary %+v", again.Val, err, res.Val)
	}
}
