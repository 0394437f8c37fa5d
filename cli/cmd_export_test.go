package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/internal/prereq"
	"github.com/asvit/asvit/ort"
)

func readProps(t *testing.T, path string) map[string]string {
	t.Helper()
	_, m, err := readModel(path)
	if err != nil {
		t.Fatal(err)
	}
	return metadataProps(m)
}

func TestExportMetadata(t *testing.T) {
	dir := t.TempDir()
	names := filepath.Join(dir, "names.txt")
	if err := os.WriteFile(names, []byte("cat\r\ndog\r\n bird \r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := exportSeed(t, dir, 32, 3, func(o *exportOptions) { o.ClassNames = names; o.Mean = "0.5"; o.Seed = 42 })
	props := readProps(t, path)
	want := map[string]string{
		export.KeyArch: seedArch, export.KeyImage: "32", export.KeyChannels: "3", export.KeyClasses: "3",
		export.KeyMean: "0.5,0.5,0.5", export.KeyStd: "0.229,0.224,0.225", export.KeyOutput: "logits",
		export.KeyVersion: Version, export.KeySeed: "42",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, props[k], v)
		}
	}
	var got []string
	if err := json.Unmarshal([]byte(props[export.KeyClassNames]), &got); err != nil || !slices.Equal(got, []string{"cat", "dog", "bird"}) {
		t.Errorf("metadata %s = %s, want [\"cat\",\"dog\",\"bird\"]", export.KeyClassNames, props[export.KeyClassNames])
	}
	prereq.CheckONNX(t, path)
}

func TestExportFeatures(t *testing.T) {
	path := exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Outputs = "features"; o.Channels = 1 })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inputs, outputs, err := ort.ModelInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	// Features are the last stage's width, 8·C = 256; the batch is dynamic.
	if len(inputs) != 1 || !slices.Equal(inputs[0].Shape, []int64{-1, 1, 32, 32}) ||
		len(outputs) != 1 || outputs[0].Name != "features" || !slices.Equal(outputs[0].Shape, []int64{-1, 256}) {
		t.Errorf("features model: inputs %v, outputs %v; want [-1 1 32 32] and features [-1 256]", inputs, outputs)
	}
	props := readProps(t, path)
	if props[export.KeyOutput] != "features" || props[export.KeyMean] != "0.449" || props[export.KeyStd] != "0.226" {
		t.Errorf("features model metadata: output %q, mean %q, std %q; want features, 0.449, 0.226",
			props[export.KeyOutput], props[export.KeyMean], props[export.KeyStd])
	}
	prereq.CheckONNX(t, path)
}

// TestExportDeterministic checks that a seed fixes the file and that
// another seed changes it.
func TestExportDeterministic(t *testing.T) {
	read := func(seed uint64) []byte {
		b, err := os.ReadFile(exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Seed = seed }))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := read(1), read(1), read(2)
	if !bytes.Equal(a, b) {
		t.Error("two exports with seed 1 differ")
	}
	if bytes.Equal(a, c) {
		t.Error("exports with seeds 1 and 2 are identical")
	}
}

// TestExportAtomic checks that a successful export leaves only its file and
// a failed one leaves nothing.
func TestExportAtomic(t *testing.T) {
	dir := t.TempDir()
	exportSeed(t, dir, 32, 10, nil)
	exportSeed(t, dir, 32, 10, func(o *exportOptions) { o.Seed = 3 }) // overwrites
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "model.onnx" {
		t.Errorf("directory holds %v, want only model.onnx", entries)
	}
	if fi, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("model.onnx: %v, %v; want mode 0644", fi, err)
	}
	code, _, stderr := runApp(t, context.Background(), "export", "--arch", seedArch, "--img", "32",
		"--out", filepath.Join(dir, "missing", "m.onnx"))
	if code != ExitFailure || !strings.Contains(stderr, "write model") {
		t.Errorf("export into a missing directory: exit %d, stderr %q; want %d and a write error", code, stderr, ExitFailure)
	}
}

func TestExportThroughApp(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.onnx")
	code, stdout, stderr := runApp(t, context.Background(), "export", "--arch", seedArch, "--out", out,
		"--img", "64", "--classes", "3", "--class-names", "a, b ,c")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, out) || !strings.Contains(stdout, "3 logits") {
		t.Errorf("summary %q: want one line naming %s and 3 logits", stdout, out)
	}
	if names := readProps(t, out)[export.KeyClassNames]; names != `["a","b","c"]` {
		t.Errorf("class names %s, want [\"a\",\"b\",\"c\"]", names)
	}
}

// trainTiny trains a small network for one epoch on part of the embedded
// sample and returns its run directory.
func trainTiny(t *testing.T) string {
	t.Helper()
	initORT(t)
	dir := filepath.Join(t.TempDir(), "train")
	code, _, errOut := runApp(t, context.Background(), "train", "--arch", "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4",
		"--epochs", "2", "--batch", "32", "--train-images", "128", "--out", dir)
	if code != ExitOK {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	return dir
}

// TestExportFromRun exports a training run's checkpoints with each output:
// the metadata says which weights and output it holds, the shapes are the
// backbone's strides, ONNX's checker accepts each file, and predict runs
// the classifier but refuses the backbone.
func TestExportFromRun(t *testing.T) {
	run := trainTiny(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args    []string
		output  export.Output
		weights string
		epoch   int
		shapes  map[string][]int64
	}{
		{nil, export.Logits, export.WeightsBest, 0, map[string][]int64{"logits": {-1, 10}}},
		{[]string{"--outputs", "features", "--checkpoint", "last"}, export.Features, export.WeightsLast, 2, map[string][]int64{"features": {-1, 32}}},
		{[]string{"--outputs", "stages"}, export.Stages, export.WeightsBest, 0, map[string][]int64{
			"stage1": {-1, 4, 8, 8}, "stage2": {-1, 8, 4, 4}, "stage3": {-1, 16, 2, 2}, "stage4": {-1, 32, 1, 1}}},
	} {
		path := filepath.Join(dir, string(c.output)+".onnx")
		code, stdout, stderr := runApp(t, context.Background(), append([]string{"export", "--from", run, "--out", path}, c.args...)...)
		if code != ExitOK {
			t.Fatalf("export %v: exit %d: %s", c.args, code, stderr)
		}
		if !strings.Contains(stdout, c.weights+" checkpoint") {
			t.Errorf("summary %q does not name the %s checkpoint", stdout, c.weights)
		}
		_, meta, err := readAsvitModel(path)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Output != c.output || meta.Weights != c.weights || (c.epoch > 0 && meta.Epoch != c.epoch) || meta.Epoch < 1 ||
			meta.Image != 32 || meta.Channels != 1 || meta.PatchStride != 4 || (c.output == export.Logits) != (len(meta.ClassNames) == 10) {
			t.Errorf("export %v: metadata %+v", c.args, meta)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, outputs, err := ort.ModelInfo(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(outputs) != len(c.shapes) {
			t.Errorf("export %v: outputs %v, want %v", c.args, outputs, c.shapes)
		}
		for _, o := range outputs {
			if !slices.Equal(o.Shape, c.shapes[o.Name]) {
				t.Errorf("export %v: output %s has shape %v, want %v", c.args, o.Name, o.Shape, c.shapes[o.Name])
			}
		}
	}
	best, err := os.ReadFile(filepath.Join(dir, "logits.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if trained, err := os.ReadFile(filepath.Join(run, "model.onnx")); err != nil || !bytes.Equal(best, trained) {
		t.Errorf("export --from of the best checkpoint differs from the run's model.onnx (%v)", err)
	}
	if code, _, stderr := runApp(t, context.Background(), "predict", "--model", filepath.Join(dir, "logits.onnx"), "--sample", "2"); code != ExitOK {
		t.Errorf("predict on the exported classifier: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runApp(t, context.Background(), "predict", "--model", filepath.Join(dir, "stages.onnx"), "--sample", "2"); code == ExitOK || !strings.Contains(stderr, "stage maps") {
		t.Errorf("predict on the backbone: exit %d: %s; want a refusal", code, stderr)
	}
	for _, output := range export.Outputs {
		prereq.CheckONNX(t, filepath.Join(dir, string(output)+".onnx"))
	}
}

func TestExportUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.onnx")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--arch", seedArch, "--outputs", "maps"}, `output "maps"`},
		{[]string{"--from", "run", "--arch", seedArch}, "--arch has no use with --from"},
		{[]string{"--from", "run", "--img", "64"}, "--img has no use with --from"},
		{[]string{"--from", "run", "--checkpoint", "first"}, `--checkpoint: got "first"`},
		{[]string{"--arch", seedArch, "--checkpoint", "last"}, "--checkpoint needs --from"},
		{[]string{"--arch", seedArch, "--outputs", "stages", "--class-names", "a,b"}, "no use with --outputs stages"},
		{nil, "missing --arch"},
	} {
		code, _, stderr := runApp(t, context.Background(), append([]string{"export", "--out", out}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("export %v: exit %d, %q; want %d and %q", c.args, code, stderr, ExitUsage, c.want)
		}
	}
	code, _, stderr := runApp(t, context.Background(), "export", "--out", out, "--from", t.TempDir())
	if code != ExitFailure || !strings.Contains(stderr, "config.json is missing") {
		t.Errorf("export --from a directory without a run: exit %d, %q", code, stderr)
	}
}
