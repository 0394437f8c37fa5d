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
		metaArch: seedArch, metaImage: "32", metaChannels: "3", metaClasses: "3",
		metaMean: "0.5,0.5,0.5", metaStd: "0.229,0.224,0.225", metaOutput: "logits",
		metaVersion: Version, metaSeed: "42",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, props[k], v)
		}
	}
	var got []string
	if err := json.Unmarshal([]byte(props[metaClassNames]), &got); err != nil || !slices.Equal(got, []string{"cat", "dog", "bird"}) {
		t.Errorf("metadata %s = %s, want [\"cat\",\"dog\",\"bird\"]", metaClassNames, props[metaClassNames])
	}
	checkONNX(t, path)
}

func TestExportFeatures(t *testing.T) {
	path := exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Features = true; o.Channels = 1 })
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
	if props[metaOutput] != "features" || props[metaMean] != "0.449" || props[metaStd] != "0.226" {
		t.Errorf("features model metadata: output %q, mean %q, std %q; want features, 0.449, 0.226",
			props[metaOutput], props[metaMean], props[metaStd])
	}
	checkONNX(t, path)
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
	if names := readProps(t, out)[metaClassNames]; names != `["a","b","c"]` {
		t.Errorf("class names %s, want [\"a\",\"b\",\"c\"]", names)
	}
}
