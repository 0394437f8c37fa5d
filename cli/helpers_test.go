package cli

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/ort"
)

// seedArch is the As-ViT seed topology.
const seedArch = "8,2,3|4,1,2|4,1,4|4,1,6|32"

// initORT loads the runtime library or fails the test saying how to get it.
func initORT(tb testing.TB) {
	tb.Helper()
	if err := ort.Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
	}
}

// runApp runs the application with args and returns its exit code and
// output.
func runApp(tb testing.TB, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	code = Run(ctx, append([]string{"asvit"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// exportSeed writes the seed at img px with classes classes (and extra
// options applied by edit) into dir and returns the file's path.
func exportSeed(tb testing.TB, dir string, img, classes int, edit func(*exportOptions)) string {
	tb.Helper()
	opts := exportOptions{Arch: seedArch, Out: filepath.Join(dir, "model.onnx"), Image: img, Classes: classes, Channels: 3, Seed: 7, Outputs: "logits"}
	if edit != nil {
		edit(&opts)
	}
	if err := runExport(context.Background(), opts, &bytes.Buffer{}); err != nil {
		tb.Fatalf("export: %v", err)
	}
	return opts.Out
}

func writePNG(tb testing.TB, path string, img image.Image) {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}
