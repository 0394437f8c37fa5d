package cli

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asvit/asvit/scale"
)

// small measure flags that keep every pipeline test to seconds.
var smallMeasure = []string{"--img", "32", "--batch", "4", "--curve", "4", "--repeat", "1"}

func TestComplexityJSONAgreesWithBruteForce(t *testing.T) {
	initORT(t)
	measure := func(extra ...string) map[string]any {
		args := append([]string{"complexity", seedArch, "--json"}, smallMeasure...)
		code, out, errOut := runApp(t, context.Background(), append(args, extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"ntk_cond", "length_distortion", "bad", "params", "flops", "seconds"} {
			if _, ok := got[k]; !ok {
				t.Fatalf("JSON lacks %q: %s", k, out)
			}
		}
		return got
	}
	fast, brute := measure(), measure("--brute-force")
	// float32 sums in different orders: relative 1e-3 on κ and 1e-4 on L^E.
	for key, tol := range map[string]float64{"ntk_cond": 1e-3, "length_distortion": 1e-4} {
		a, b := fast[key].(float64), brute[key].(float64)
		if math.Abs(a-b) > tol*math.Abs(b) {
			t.Fatalf("%s: fast %v, brute force %v", key, a, b)
		}
	}
	if fast["ntk_cond"].(float64) < 1 {
		t.Fatalf("κ = %v < 1", fast["ntk_cond"])
	}
}

func TestSearchRunsResumesAndPlots(t *testing.T) {
	initORT(t)
	dir := filepath.Join(t.TempDir(), "search")
	args := append([]string{"search", "--steps", "3", "--out", dir}, smallMeasure...)
	if code, _, errOut := runApp(t, context.Background(), args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Arch string `json:"arch"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil || json.Unmarshal(b, &res) != nil || res.Arch == "" {
		t.Fatalf("result.json: %v %s", err, b)
	}
	if code, _, errOut := runApp(t, context.Background(), args...); code == 0 || !strings.Contains(errOut, "already holds a run") {
		t.Fatalf("a second run into the same directory: exit %d, %q", code, errOut)
	}
	changed := append(append([]string{}, args...), "--resume", "--curve", "5")
	if code, _, errOut := runApp(t, context.Background(), changed...); code == 0 || !strings.Contains(errOut, "curve") {
		t.Fatalf("resuming with other measure flags: exit %d, %q", code, errOut)
	}
	os.Remove(filepath.Join(dir, "search.png"))
	if code, out, errOut := runApp(t, context.Background(), "plot", dir); code != 0 || !strings.Contains(out, "search.png") {
		t.Fatalf("plot: exit %d, %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "search.png")); err != nil {
		t.Fatal(err)
	}
}

// The whole pipeline on the embedded sample, shrunk to seconds: the report
// names the trained member and the exported model predicts.
func TestAutoEndToEnd(t *testing.T) {
	initORT(t)
	dir := filepath.Join(t.TempDir(), "auto")
	args := append([]string{"auto", "--out", dir, "--steps", "2", "--epochs", "1", "--max-params", "8e6", "--train-batch", "64"}, smallMeasure...)
	code, out, errOut := runApp(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{"report.md", "search/result.json", "scale/result.json", "train/result.json", "train/model.onnx", "scale/scale.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("auto left no %s: %v", f, err)
		}
	}
	if !strings.Contains(out, "(trained)") || !strings.Contains(out, "test accuracy") {
		t.Fatalf("report lacks the trained member or the accuracy:\n%s", out)
	}
	if code, _, errOut := runApp(t, context.Background(), "predict", "--model", filepath.Join(dir, "train", "model.onnx"), "--sample", "2"); code != 0 {
		t.Fatalf("predict on the trained model: exit %d: %s", code, errOut)
	}
	curves := filepath.Join(dir, "train", "learning_curve.png")
	os.Remove(curves)
	if code, _, errOut := runApp(t, context.Background(), "plot", filepath.Join(dir, "train")); code != 0 {
		t.Fatalf("plot of the training run: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(curves); err != nil {
		t.Fatal(err)
	}
}

func TestPickMemberTakesTheLargestWithinBothBudgets(t *testing.T) {
	series := []scale.Member{{Step: 1, Params: 10, MACs: 100}, {Step: 2, Params: 20, MACs: 300}, {Step: 3, Params: 30, MACs: 200}, {Step: 4, Params: 40, MACs: 400}}
	cases := []struct {
		params, macs int64
		want         int
	}{{35, 0, 3}, {35, 250, 3}, {25, 250, 1}, {100, 0, 4}}
	for _, c := range cases {
		got, err := pickMember(series, c.params, c.macs)
		if err != nil || got.Step != c.want {
			t.Fatalf("budget %d params, %d MACs: step %d (%v), want %d", c.params, c.macs, got.Step, err, c.want)
		}
	}
	if _, err := pickMember(series, 5, 0); err == nil || !strings.Contains(err.Error(), "smallest has 10 parameters") {
		t.Fatalf("no member fits: got %v", err)
	}
}
