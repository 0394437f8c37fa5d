package prereq

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireONNXCheckerEnv makes a missing ONNX checker fail CheckONNX's test
// instead of skipping it.
const RequireONNXCheckerEnv = "ASVIT_REQUIRE_ONNX_CHECKER"

// CheckONNX runs ONNX's full model checker on the file at path with the
// system Python and fails tb if it rejects the model. Without python3 or
// its onnx module (Debian's python3-onnx) the test is skipped, unless
// RequireONNXCheckerEnv is 1.
func CheckONNX(tb testing.TB, path string) {
	tb.Helper()
	const python = "/usr/bin/python3"
	missing := func(why string) {
		Missing(tb, RequireONNXCheckerEnv, "ONNX checker unavailable ("+why+")", "install python3-onnx")
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
