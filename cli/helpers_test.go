package cli

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	opts := exportOptions{Arch: seedArch, Out: filepath.Join(dir, "model.onnx"), Image: img, Classes: classes, Channels: 3, Seed: 7}
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

// requireONNXCheckerEnv makes a missing ONNX checker fail the test instead of
// skipping it (set by CI).
const requireONNXCheckerEnv = "ASVIT_REQUIRE_ONNX_CHECKER"

// checkONNX runs ONNX's full model checker on the file at path with the
// system Python. Without python3 or its onnx module the test is skipped,
// unless requireONNXCheckerEnv is 1.
func checkONNX(tb testing.TB, path string) {
	tb.Helper()
	const python = "/usr/bin/python3"
	missing := func(why string) {
		if os.Getenv(requireONNXCheckerEnv) == "1" {
			tb.Fatalf("ONNX checker unavailable (%s) and %s=1; install python3-onnx", why, requireONNXCheckerEnv)
		}
		tb.Skipf("ONNX checker unavailable (%s); install python3-onnx", why)
	}
	if _, err := os.Stat(python); err != nil {
		missing(python + " not found")
	}
	if out, err := exec.Command(python, "-c", "import onnx").CombinedOutput(); err != nil {
		missing(strings.TrimSpace(string(out)))
	}
	cmd := exec.Command(python, "-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			tb.Fatalf("run ONNX checker: %v", err)
		}
		tb.Fatalf("ONNX checker rejects %s:\n%s", path, out)
	}
}
