package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/runs"
)

// detectTinyArch is a small backbone for tests: stage maps 8, 4, 2, 1 on
// 32 px canvases.
const detectTinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"

// TestDetectPipeline makes a tiny set, trains on it, scores the run and
// its predictions file, runs predict and plot, and resumes the finished
// run, all through the command line.
func TestDetectPipeline(t *testing.T) {
	initORT(t)
	ctx := context.Background()
	dir := t.TempDir()
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "run")
	code, stdout, stderr := runApp(t, ctx, "detect", "make-data", "--out", data, "--size", "32", "--train", "40", "--val", "10",
		"--max-objects", "2", "--min-side", "8", "--max-side", "24")
	if code != ExitOK || !strings.Contains(stdout, "wrote 40 training and 10 validation canvases of 32 px") {
		t.Fatalf("make-data: exit %d\n%s%s", code, stdout, stderr)
	}
	trainArgs := []string{"--threads", "1", "detect", "train", "--arch", detectTinyArch, "--data", data,
		"--epochs", "2", "--batch", "4", "--width", "8", "--lr", "3e-3", "--out", out}
	code, stdout, stderr = runApp(t, ctx, trainArgs...)
	if code != ExitOK || !strings.Contains(stdout, "validation AP") || !strings.Contains(stderr, "epoch 2: phase 1 (stride 4, dilation 1)") {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	var res detect.Result
	b, err := os.ReadFile(filepath.Join(out, runs.ResultFile))
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	if err != nil || res.Steps != 20 || res.Image != 32 {
		t.Fatalf("result.json: %+v, %v", res, err)
	}
	want := res.Val.String()

	code, stdout, stderr = runApp(t, ctx, "--threads", "1", "detect", "eval", out, "--batch", "3")
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
		{[]string{"detect", "predict", "a.png"}, "missing --run"},
		{[]string{"detect", "predict", "--run", "r"}, "no images"},
		{[]string{"detect", "predict", "--run", "r", "--min-score", "2", "a.png"}, "--min-score"},
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
	for _, sub := range []string{"make-data", "train", "eval", "predict"} {
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
