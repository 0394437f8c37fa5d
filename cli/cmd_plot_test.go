package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotReadsTheKind refuses directories whose config.json names no kind
// (those of older versions, which plot used to guess from their keys) and
// kinds it does not know.
func TestPlotReadsTheKind(t *testing.T) {
	for _, c := range []struct {
		config, want string
	}{
		{`{"arch":"8,2,3|4,1,2|4,1,4|4,1,6|32","epochs":4}`, "older asvit"},
		{`{"kind":"segment","format":1,"config":{}}`, `kind "segment"`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(c.config), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runApp(t, context.Background(), "plot", dir); code != ExitFailure || !strings.Contains(stderr, c.want) {
			t.Errorf("plot of %s: exit %d, %q; want a failure saying %q", c.config, code, stderr, c.want)
		}
	}
	if code, _, stderr := runApp(t, context.Background(), "plot", t.TempDir()); code != ExitFailure || !strings.Contains(stderr, "not a run directory") {
		t.Errorf("plot of an empty directory: exit %d, %q", code, stderr)
	}
}
