package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/internal/prereq"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
)

// detectTinyArch is a small backbone for tests: stage maps 8, 4, 2, 1 on
// 32 px canvases.
const detectTinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"

// trainTinyDetector makes a tiny set in dir/data (40 training and 10
// validation canvases of 32 px) and trains a detector on it for two epochs
// into dir/run, through the command line; it returns both directories and
// the training arguments.
func trainTinyDetector(t *testing.T, dir string) (data, run string, trainArgs []string) {
	t.Helper()
	initORT(t)
	ctx := context.Background()
	data, run = filepath.Join(dir, "data"), filepath.Join(dir, "run")
	code, stdout, stderr := runApp(t, ctx, "detect", "make-data", "--out", data, "--size", "32", "--train", "40", "--val", "10",
		"--max-objects", "2", "--min-side", "8", "--max-side", "24")
	if code != ExitOK || !strings.Contains(stdout, "wrote 40 training and 10 validation canvases of 32 px") {
		t.Fatalf("make-data: exit %d\n%s%s", code, stdout, stderr)
	}
	trainArgs = []string{"--threads", "1", "detect", "train", "--arch", detectTinyArch, "--data", data,
		"--epochs", "2", "--batch", "4", "--width", "8", "--lr", "3e-3", "--out", run}
	code, stdout, stderr = runApp(t, ctx, trainArgs...)
	if code != ExitOK || !strings.Contains(stdout, "validation AP") || !strings.Contains(stderr, "epoch 2: phase 1 (stride 4, dilation 1)") {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	return data, run, trainArgs
}

// TestDetectPipeline makes a tiny set, trains on it, scores the run and
// its predictions file, runs predict and plot, and resumes the finished
// run, all through the command line.
func TestDetectPipeline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data, out, trainArgs := trainTinyDetector(t, dir)
	var res detect.Result
	b, err := os.ReadFile(filepath.Join(out, runs.ResultFile))
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	if err != nil || res.Steps != 20 || res.Image != 32 {
		t.Fatalf("result.json: %+v, %v", res, err)
	}
	want := res.Val.String()

	code, stdout, stderr := runApp(t, ctx, "--threads", "1", "detect", "eval", out, "--batch", "3")
	if code != ExitOK || !strings.HasSuffix(stdout, want) || !strings.Contains(stdout, "best checkpoint of "+out) {
		t.Errorf("eval of the run: exit %d\n%s%s\nwant the summary\n%s", code, stdout, stderr, want)
	}
	if !strings.Contains(stdout, "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = ") {
		t.Errorf("eval does not print pycocotools' lines:\n%s", stdout)
	}
	results := filepath.Join(out, detect.PredictionsFile)
	code, stdout, stderr = runApp(t, ctx, "detect", "eval", "--results", results, "--annotations", filepath.Join(data, "instances_val.json"))
	if code != ExitOK || !strings.HasSuffix(stdout, want) {
		t.Errorf("eval of the predictions: exit %d\n%s%s\nwant the summary\n%s", code, stdout, stderr, want)
	}
	code, stdout, _ = runApp(t, ctx, "detect", "eval", "--json", "--results", results, "--annotations", filepath.Join(data, "instances_val.json"))
	var scored struct {
		Summary    coco.Summary
		Categories []coco.CategoryResult
	}
	if err := json.Unmarshal([]byte(stdout), &scored); code != ExitOK || err != nil || scored.Summary != res.Val || len(scored.Categories) != 10 {
		t.Errorf("eval --json: exit %d, %v: %+v", code, err, scored)
	}

	drawn := filepath.Join(dir, "drawn")
	img := filepath.Join(data, "images", "val", "000001.png")
	code, stdout, stderr = runApp(t, ctx, "detect", "predict", img, "--run", out, "--min-score", "0", "--top", "3", "--draw", drawn, "--json")
	var got []detectedImage
	if err := json.Unmarshal([]byte(stdout), &got); code != ExitOK || err != nil || len(got) != 1 || got[0].Width != 32 || len(got[0].Detections) != 3 {
		t.Errorf("predict: exit %d, %v: %+v\n%s", code, err, got, stderr)
	}
	if _, err := os.Stat(filepath.Join(drawn, "000001.png")); err != nil {
		t.Errorf("predict --draw: %v", err)
	}
	code, stdout, _ = runApp(t, ctx, "detect", "predict", "--run", out, img, img)
	if code != ExitOK || strings.Count(stdout, img) != 2 {
		t.Errorf("predict as text: exit %d\n%s", code, stdout)
	}

	if code, stdout, stderr = runApp(t, ctx, "plot", out); code != ExitOK || !strings.Contains(stdout, detect.CurvesFile) {
		t.Errorf("plot: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runApp(t, ctx, append(trainArgs, "--resume", "--threads", "2")...)
	if code != ExitOK || !strings.Contains(stdout, fmt.Sprintf("best epoch %d of 2", res.BestEpoch)) {
		t.Errorf("resume of the finished run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runApp(t, ctx, append(trainArgs, "--resume", "--epochs", "3")...)
	if code != ExitFailure || !strings.Contains(stderr, "asvit detect train: resume") || !strings.Contains(stderr, "epochs") {
		t.Errorf("resume with other epochs: exit %d\n%s", code, stderr)
	}
}

// TestDetectUsageErrors checks that mistakes exit with 2 and say what was
// wrong and where to look; failures found in the data exit with 1.
func TestDetectUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"detect"}, "no command given"},
		{[]string{"detect", "segment"}, `unknown command "segment"`},
		{[]string{"detect", "make-data", "--size", "4"}, "canvas size 4"},
		{[]string{"detect", "make-data", "--max-side", "300"}, "object sizes"},
		{[]string{"detect", "make-data", "extra"}, "too many arguments"},
		{[]string{"detect", "train"}, "missing --arch"},
		{[]string{"detect", "train", "--arch", "1,2"}, "--arch"},
		{[]string{"detect", "train", "--arch", seedArch, "--nope"}, "flag provided but not defined"},
		{[]string{"detect", "eval"}, "nothing to score"},
		{[]string{"detect", "eval", "run", "--results", "r.json"}, "not both"},
		{[]string{"detect", "eval", "--results", "r.json"}, "needs --annotations"},
		{[]string{"detect", "eval", "run", "--checkpoint", "middle"}, "--checkpoint"},
		{[]string{"detect", "predict", "a.png"}, "missing --run or --model"},
		{[]string{"detect", "predict", "--run", "r", "--model", "m.onnx", "a.png"}, "not both"},
		{[]string{"detect", "predict", "--model", "m.onnx", "--checkpoint", "last", "a.png"}, "--checkpoint goes with --run"},
		{[]string{"detect", "predict", "--run", "r"}, "no images"},
		{[]string{"detect", "predict", "--run", "r", "--min-score", "2", "a.png"}, "--min-score"},
		{[]string{"detect", "predict", "--run", "r", "--iou-threshold", "0", "a.png"}, "--iou-threshold: got 0"},
		{[]string{"detect", "predict", "--model", "m.onnx", "--iou-threshold", "0.4", "a.png"}, "--iou-threshold goes with --run"},
		{[]string{"detect", "predict", "--run", "r", "--draw", "d", "x/a.png", "y/a.jpg"}, "both be drawn"},
	} {
		code, _, stderr := runApp(t, ctx, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "--help") {
			t.Errorf("asvit %q: exit %d, stderr %q; want exit %d and a message with %q and a pointer to --help",
				c.args, code, stderr, ExitUsage, c.msg)
		}
	}
	missing := filepath.Join(t.TempDir(), "none")
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runApp(t, ctx, "detect", "train", "--arch", seedArch, "--data", missing, "--out", out)
	if code != ExitFailure || !strings.Contains(stderr, "asvit detect train: data: "+missing+" is not a directory") {
		t.Errorf("train on a missing set: exit %d, %q", code, stderr)
	}
	code, _, stderr = runApp(t, ctx, "detect", "eval", missing)
	if code != ExitFailure || !strings.Contains(stderr, "no run in") {
		t.Errorf("eval of a missing run: exit %d, %q", code, stderr)
	}
	for _, sub := range []string{"make-data", "train", "eval", "export", "predict"} {
		code, stdout, _ := runApp(t, ctx, "detect", sub, "--help")
		if code != ExitOK || !strings.Contains(stdout, "asvit detect "+sub) {
			t.Errorf("asvit detect %s --help: exit %d\n%s", sub, code, stdout)
		}
		for _, f := range NewApp(nil, nil).Command("detect").Command(sub).Flags {
			if !strings.Contains(stdout, "--"+f.Names()[0]) {
				t.Errorf("asvit detect %s --help does not mention --%s", sub, f.Names()[0])
			}
		}
	}
}

// TestDetectExport exports a tiny run's detector and checks that ONNX
// Runtime running the file on the validation canvases finds what the
// run's checkpoint decoded in Go with NMS finds (detect's ExportDecoder),
// that 'asvit predict' and 'asvit detect predict --model' print those
// detections for the canvases' PNG files, that inspect lists the
// detection metadata, and that ONNX's checker accepts the file.
func TestDetectExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data, run, _ := trainTinyDetector(t, dir)

	// The defaults: the best checkpoint into RUNDIR/model.onnx.
	code, stdout, stderr := runApp(t, ctx, "detect", "export", run)
	def := filepath.Join(run, detect.ExportFile)
	if code != ExitOK || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "wrote "+def+": ") ||
		!strings.Contains(stdout, "input N×1×32×32 → boxes N×100×4, scores N×100, classes N×100; K 100, score ≥ 0.3, NMS IoU 0.5; best checkpoint: epoch 2, step 20") {
		t.Fatalf("export with the defaults: exit %d\n%s%s", code, stdout, stderr)
	}
	best, err := detect.ReadRunCheckpoint(run, detect.BestFile)
	if err != nil {
		t.Fatal(err)
	}
	_, meta, err := readAsvitModel(def)
	if err != nil {
		t.Fatal(err)
	}
	info := best.Model
	if meta.Output != export.Detections || meta.Detection != (export.Detection{TopK: 100, ScoreThreshold: 0.3, IoUThreshold: 0.5}) ||
		meta.Arch != detectTinyArch || meta.Image != 32 || meta.Channels != 1 || meta.PatchStride != info.PatchStride ||
		!slices.Equal(meta.ClassNames, info.Classes) || !slices.Equal(meta.CategoryIDs, info.CategoryIDs) || len(meta.CategoryIDs) == 0 || !slices.Equal(meta.Mean, []float32{info.Mean}) || !slices.Equal(meta.Std, []float32{info.Std}) ||
		meta.Weights != export.WeightsBest || meta.Epoch != best.Epoch || meta.Step != best.Step || meta.Version != Version {
		t.Errorf("metadata of the default export: %+v", meta)
	}

	// The last checkpoint with a low score threshold and a strict NMS, so
	// that the slots hold many boxes and NMS removes some.
	path := filepath.Join(dir, "detector.onnx")
	opts := detect.ExportOptions{TopK: 20, MinScore: 0.05, IoUThreshold: 0.3}
	code, stdout, stderr = runApp(t, ctx, "detect", "export", run, "--checkpoint", "last", "--out", path,
		"--top-k", "20", "--score-threshold", "0.05", "--iou-threshold", "0.3")
	if code != ExitOK || !strings.Contains(stdout, "K 20, score ≥ 0.05, NMS IoU 0.3; last checkpoint") {
		t.Fatalf("export of the last checkpoint: exit %d\n%s%s", code, stdout, stderr)
	}
	model, meta, err := readAsvitModel(path)
	if err != nil {
		t.Fatal(err)
	}

	// ONNX Runtime on the exported model against the checkpoint decoded in
	// Go, on the validation canvases normalised as the run normalises them.
	last, err := detect.ReadRunCheckpoint(run, detect.LastFile)
	if err != nil {
		t.Fatal(err)
	}
	set, err := detdata.OpenSplit(data, detdata.ValSplit)
	if err != nil {
		t.Fatal(err)
	}
	l, err := detdata.NewLoader(set, detdata.LoaderOptions{Batch: set.N, Mean: last.Model.Mean, Std: last.Model.Std})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Batch(0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := detect.OpenExported(model, meta, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	got, err := e.Detect(b.X, set.N)
	if err != nil {
		t.Fatal(err)
	}
	p, err := detect.NewPredictor(last.Model, last.Params(), 4, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Destroy()
	d, err := p.Model().ExportDecoder(opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.DetectWith(b.X, set.N, d)
	if err != nil {
		t.Fatal(err)
	}
	sameDetections(t, "exported model", got, want, 1e-5, 1e-3)
	d.IoUThreshold = 0
	all, err := p.DetectWith(b.X, set.N, d)
	if err != nil {
		t.Fatal(err)
	}
	kept, removed := 0, 0
	for i := range want {
		kept += len(want[i])
		removed += len(all[i]) - len(want[i])
	}
	t.Logf("%d boxes kept on %d canvases, %d removed by NMS", kept, set.N, removed)
	if kept == 0 || removed == 0 {
		t.Errorf("%d boxes kept, %d removed by NMS; want some of each", kept, removed)
	}

	// asvit predict, given the model as its first argument, prints them
	// for the canvases' PNG files.
	var images []string
	for _, im := range set.COCO.Images {
		images = append(images, filepath.Join(data, "images", detdata.ValSplit, im.FileName))
	}
	code, stdout, stderr = runApp(t, ctx, append([]string{"--threads", "1", "predict", path, "--json", "--batch", "3"}, images...)...)
	var printed []detectedImage
	if err := json.Unmarshal([]byte(stdout), &printed); code != ExitOK || err != nil || len(printed) != set.N {
		t.Fatalf("predict --json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	fromJSON := make([][]detect.Detection, len(printed))
	for i, im := range printed {
		if im.Image != images[i] || im.Width != 32 || im.Height != 32 {
			t.Errorf("predict: image %d is %+v", i, im)
		}
		fromJSON[i] = []detect.Detection{}
		for _, box := range im.Detections {
			if box.Name != last.Model.Classes[box.Class] {
				t.Errorf("predict: class %d named %q", box.Class, box.Name)
			}
			fromJSON[i] = append(fromJSON[i], detect.Detection{Box: detect.Box{X: box.BBox[0], Y: box.BBox[1], W: box.BBox[2], H: box.BBox[3], Class: box.Class}, Score: box.Score})
		}
	}
	// The PNG files are read and normalised by another loader.
	sameDetections(t, "asvit predict", fromJSON, want, 1e-4, 1e-2)
	code, detectJSON, stderr := runApp(t, ctx, append([]string{"--threads", "1", "detect", "predict", "--model", path, "--json"}, images...)...)
	if code != ExitOK || detectJSON != stdout {
		t.Errorf("detect predict --model --json: exit %d, %s\n%s\nwant what predict printed:\n%s", code, stderr, detectJSON, stdout)
	}
	// The run's checkpoint decoded in Go with the same top-k, threshold
	// and NMS finds the same boxes.
	code, runJSON, stderr := runApp(t, ctx, append([]string{"--threads", "1", "detect", "predict", "--run", run, "--checkpoint", "last",
		"--top", "20", "--min-score", "0.05", "--iou-threshold", "0.3", "--json"}, images...)...)
	var fromRun []detectedImage
	if err := json.Unmarshal([]byte(runJSON), &fromRun); code != ExitOK || err != nil || len(fromRun) != set.N {
		t.Fatalf("detect predict --run --json: exit %d, %v\n%s%s", code, err, runJSON, stderr)
	}
	runDets := make([][]detect.Detection, len(fromRun))
	for i, im := range fromRun {
		runDets[i] = []detect.Detection{}
		for _, box := range im.Detections {
			runDets[i] = append(runDets[i], detect.Detection{Box: detect.Box{X: box.BBox[0], Y: box.BBox[1], W: box.BBox[2], H: box.BBox[3], Class: box.Class}, Score: box.Score})
		}
	}
	sameDetections(t, "detect predict --run with the export's NMS", runDets, want, 1e-4, 1e-2)
	if len(want[0]) == 0 {
		t.Fatal("no detections on the first canvas")
	}
	first := want[0][0]
	drawn := filepath.Join(dir, "drawn")
	code, stdout, stderr = runApp(t, ctx, "predict", "--model", path, images[0], "--top", "1", "--draw", drawn)
	if code != ExitOK || !strings.HasPrefix(stdout, images[0]+" (32×32): 1 boxes\n  "+last.Model.Classes[first.Class]) || strings.Count(stdout, "\n") != 2 {
		t.Errorf("predict as text: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(drawn, drawnName(images[0]))); err != nil {
		t.Errorf("predict --draw: %v", err)
	}
	code, stdout, _ = runApp(t, ctx, "predict", "--model", path, images[0], "--min-score", "1")
	if code != ExitOK || stdout != images[0]+" (32×32): 0 boxes\n" {
		t.Errorf("predict --min-score 1: exit %d\n%s", code, stdout)
	}

	// inspect lists the detection metadata and outputs.
	code, stdout, _ = runApp(t, ctx, "inspect", path)
	words := strings.Join(strings.Fields(stdout), " ")
	for _, s := range []string{"asvit.output detections", "asvit.top_k 20", "asvit.score_threshold 0.05", "asvit.iou_threshold 0.3",
		"asvit.layout " + export.DetectionsLayout, "asvit.weights last", `output "boxes" float32 [-1 20 4]`, `output "classes" int64 [-1 20]`,
		"parameters " + groupDigits(p.Model().Params()) + " in "} {
		if code != ExitOK || !strings.Contains(words, s) {
			t.Errorf("inspect: exit %d, output lacks %q:\n%s", code, s, stdout)
		}
	}

	// The commands point each kind of file and run to its own command.
	code, _, stderr = runApp(t, ctx, "predict", path, "--sample", "2")
	if code != ExitUsage || !strings.Contains(stderr, "is a detector") {
		t.Errorf("predict --sample on a detector: exit %d, %q", code, stderr)
	}
	classifier := exportSeed(t, dir, 32, 10, func(o *exportOptions) { o.Channels = 1 })
	code, _, stderr = runApp(t, ctx, "detect", "predict", "--model", classifier, images[0])
	if code != ExitFailure || !strings.Contains(stderr, "outputs logits, not detections") || !strings.Contains(stderr, "asvit predict --model") {
		t.Errorf("detect predict of a classifier: exit %d, %q", code, stderr)
	}
	code, _, stderr = runApp(t, ctx, "predict", classifier, images[0], "--draw", drawn)
	if code != ExitUsage || !strings.Contains(stderr, "--draw go with a detector") {
		t.Errorf("predict --draw of a classifier: exit %d, %q", code, stderr)
	}
	code, _, stderr = runApp(t, ctx, "export", "--from", run, "--out", filepath.Join(dir, "x.onnx"))
	if code != ExitFailure || !strings.Contains(stderr, "asvit detect export "+run) {
		t.Errorf("export --from a detection run: exit %d, %q", code, stderr)
	}

	prereq.CheckONNX(t, path)
}

// sameDetections fails t unless got has want's detections, image by image
// and in order: classes exactly, scores to scoreTol, boxes to boxTol
// pixels.
func sameDetections(t *testing.T, what string, got, want [][]detect.Detection, scoreTol, boxTol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: detections of %d images, want %d", what, len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("%s: image %d: %d detections, want %d:\n%+v\nwant\n%+v", what, i, len(got[i]), len(want[i]), got[i], want[i])
			continue
		}
		for j, w := range want[i] {
			g := got[i][j]
			if g.Class != w.Class || math.Abs(g.Score-w.Score) > scoreTol || math.Abs(g.X-w.X) > boxTol || math.Abs(g.Y-w.Y) > boxTol ||
				math.Abs(g.W-w.W) > boxTol || math.Abs(g.H-w.H) > boxTol {
				t.Errorf("%s: image %d, detection %d: %+v, want %+v", what, i, j, g, w)
			}
		}
	}
}

// TestDetectExportErrors checks export's usage errors (exit 2) and the
// runs it cannot export (exit 1).
func TestDetectExportErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, "missing RUNDIR"},
		{[]string{"a", "b"}, "too many arguments"},
		{[]string{"run", "--checkpoint", "middle"}, `--checkpoint: got "middle"`},
		{[]string{"run", "--top-k", "-1"}, "--top-k: got -1"},
		{[]string{"run", "--score-threshold", "1.5"}, "--score-threshold: got 1.5, want a score in [0, 1]"},
		{[]string{"run", "--score-threshold", "-0.1"}, "--score-threshold: got -0.1"},
		{[]string{"run", "--iou-threshold", "0"}, "--iou-threshold: got 0, want a number in (0, 1]"},
		{[]string{"run", "--iou-threshold", "1.5"}, "--iou-threshold: got 1.5"},
		{[]string{"run", "--iou-threshold", "NaN"}, "--iou-threshold: got NaN"},
	} {
		code, _, stderr := runApp(t, ctx, append([]string{"detect", "export"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "asvit detect export --help") {
			t.Errorf("asvit detect export %q: exit %d, stderr %q; want exit %d and a message with %q", c.args, code, stderr, ExitUsage, c.msg)
		}
	}
	missing := filepath.Join(t.TempDir(), "none")
	code, _, stderr := runApp(t, ctx, "detect", "export", missing)
	if code != ExitFailure || !strings.Contains(stderr, "no run in "+missing) {
		t.Errorf("export of a missing run: exit %d, %q", code, stderr)
	}
	// A classifier's training run: export names the command for it.
	classifier := t.TempDir()
	if err := os.WriteFile(filepath.Join(classifier, runs.ConfigFile), []byte(`{"kind":"train","format":1,"config":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runApp(t, ctx, "detect", "export", classifier)
	if code != ExitFailure || !strings.Contains(stderr, "classifier's training run") || !strings.Contains(stderr, "asvit export --from "+classifier) {
		t.Errorf("export of a classifier's run: exit %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(classifier); len(entries) != 1 {
		t.Errorf("a failed export left %v in the run directory", entries)
	}
	// A detection run without checkpoints yet.
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, runs.ConfigFile), []byte(fmt.Sprintf(`{"kind":"detect","format":%d,"config":{}}`, detect.Kind.Format)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runApp(t, ctx, "detect", "export", empty)
	if code != ExitFailure || !strings.Contains(stderr, "asvit detect export: detector export: ") {
		t.Errorf("export of a run without checkpoints: exit %d, %q", code, stderr)
	}
}
