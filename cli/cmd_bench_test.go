package cli

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/asvit/asvit/profile"
)

// benchTinyArch is a small network for the bench tests: widths 4 to 32; it
// needs 32 px (at 16 px its fourth stage has no tokens).
const benchTinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"

// TestBenchStep runs bench step end to end with profiling and checks the
// JSON file and the printed tables.
func TestBenchStep(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bench.json")
	prof := filepath.Join(dir, "profiles")
	code, stdout, stderr := runApp(t, context.Background(), "--threads", "1", "bench", "step", benchTinyArch,
		"--img", "32", "--batch", "4", "--repeat", "2", "--warmup", "1", "--profile", prof, "--json", out, "--top", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep benchStepReport
	readJSON(t, out, &rep)
	if rep.Mode != "step" || rep.Arch != benchTinyArch || rep.Batch != 4 || rep.Repeat != 2 || rep.Runtime.Threads != 1 || rep.Runtime.ORT == "" {
		t.Errorf("report header %+v", rep)
	}
	for name, p := range map[string]benchStepPass{"step": rep.Step, "forward": rep.Forward} {
		if len(p.TimesMS) != 2 || !(p.MinMS > 0) || p.MinMS > p.MedianMS || !(p.ImagesPerS > 0) || !(p.GFLOPs > 0) || !(p.PeakFraction > 0) || !(p.FLOPs > 0) {
			t.Errorf("%s: %+v; want 2 positive times and positive rates", name, p)
		}
	}
	if want := 4 * 6 * float64(rep.MACsPerImage); rep.Step.FLOPs != want || rep.Forward.FLOPs != want/3 {
		t.Errorf("FLOPs: step %g, forward %g; want %g and a third of it", rep.Step.FLOPs, rep.Forward.FLOPs, want)
	}
	if !(rep.Ratio.Median > 0) || !(rep.Ratio.Min > 0) || rep.Ratio.FLOPs != 3 {
		t.Errorf("ratio %+v; want positive ratios and a FLOPs ratio of 3", rep.Ratio)
	}
	if rep.Profile == nil || rep.Profile.Step == nil || rep.Profile.Forward == nil {
		t.Fatalf("no profiles in the report: %+v", rep.Profile)
	}
	for name, p := range map[string]*benchProfile{"step": rep.Profile.Step, "forward": rep.Profile.Forward} {
		checkBenchProfile(t, name, p, 2) // the warm-up run is left out
		if p.SkippedRuns != 1 || len(p.WarmupFiles) != 0 {
			t.Errorf("%s profile: %d runs skipped, warm-up files %q; want 1 run and no files", name, p.SkippedRuns, p.WarmupFiles)
		}
	}
	if ops := rep.Profile.Step.Summary.Ops; !slices.ContainsFunc(ops, func(s profile.Stat) bool { return s.Name == "Gemm" || s.Name == "MatMul" }) {
		t.Errorf("step profile's ops %v lack any matrix product", ops)
	}
	if !strings.Contains(stdout, "step / forward:") || !strings.Contains(stdout, "| training step |") {
		t.Errorf("stdout lacks the timing table or the ratio:\n%s", stdout)
	}
	tables := opsTables(t, stdout)
	if len(tables) != 2 {
		t.Fatalf("stdout has %d per-op tables, want 2 (step, forward):\n%s", len(tables), stdout)
	}
	if !strings.Contains(stderr, "timed 2") || !strings.Contains(stderr, "profiling the forward") {
		t.Errorf("stderr lacks the progress lines:\n%s", stderr)
	}
}

// TestBenchMeasure runs bench measure end to end with profiling.
func TestBenchMeasure(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "measure.json")
	prof := filepath.Join(dir, "profiles")
	code, stdout, stderr := runApp(t, context.Background(), "--threads", "1", "bench", "measure", "--arch", benchTinyArch,
		"--img", "32", "--batch", "2", "--curve", "3", "--inits", "1", "--repeat", "2", "--warmup", "1", "--profile", prof, "--json", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep benchMeasureReport
	readJSON(t, out, &rep)
	if rep.Mode != "measure" || rep.Batch != 2 || rep.Curve != 3 || rep.Inits != 1 || rep.Repeat != 2 {
		t.Errorf("report header %+v", rep)
	}
	for name, p := range map[string]benchMeasurePart{"new": rep.New.Total, "session": rep.New.Session, "build": rep.New.Build,
		"new run": rep.New.Run, "cached": rep.Cached.Total, "cached run": rep.Cached.Run} {
		if len(p.TimesS) != 2 || !(p.MinS > 0) || p.MinS > p.MedianS {
			t.Errorf("%s: %+v; want 2 positive times", name, p)
		}
	}
	if !(rep.Ratio.Median > 0) || !(rep.SessionShare > 0 && rep.SessionShare < 1) || !(rep.FloorFLOPs > 0) || !(rep.RunGFLOPs > 0) {
		t.Errorf("ratio %+v, session share %g, floor %g, run rate %g; want positive", rep.Ratio, rep.SessionShare, rep.FloorFLOPs, rep.RunGFLOPs)
	}
	if want := 1 * (3*2 + 2*3) * float64(rep.FLOPs); rep.FloorFLOPs != want {
		t.Errorf("floor %g FLOPs, want %g", rep.FloorFLOPs, want)
	}
	if !(rep.NTKCond > 1) || rep.Bad {
		t.Errorf("κ %v (bad %t); want a finite κ above 1", rep.NTKCond, rep.Bad)
	}
	if rep.Profile == nil || rep.Profile.Measure == nil {
		t.Fatalf("no profile in the report")
	}
	checkBenchProfile(t, "measure", rep.Profile.Measure, 2)
	if p := rep.Profile.Measure; len(p.Files) != 2 || len(p.WarmupFiles) != 1 {
		t.Errorf("profiles %q, warm-up %q; want one per new candidate, the warm-up one apart", p.Files, p.WarmupFiles)
	}
	if tables := opsTables(t, stdout); len(tables) != 1 {
		t.Errorf("stdout has %d per-op tables, want 1:\n%s", len(tables), stdout)
	}
	if !strings.Contains(stdout, "new / cached:") || !strings.Contains(stdout, "| session_initialization |") {
		t.Errorf("stdout lacks the ratio or the session events:\n%s", stdout)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkBenchProfile checks that p has files that exist, kernel times from
// runs runs, and op shares that add up to one.
func checkBenchProfile(t *testing.T, name string, p *benchProfile, runs int) {
	t.Helper()
	s := p.Summary
	if len(p.Files) == 0 || len(s.Ops) == 0 || len(s.Nodes) == 0 || !(s.KernelUS > 0) || s.Runs != runs {
		t.Errorf("%s profile: %d files, %d ops, %d nodes, %g µs, %d runs; want files, ops, nodes, time and %d runs",
			name, len(p.Files), len(s.Ops), len(s.Nodes), s.KernelUS, s.Runs, runs)
	}
	for _, f := range p.Files {
		if info, err := os.Stat(f); err != nil || info.Size() == 0 {
			t.Errorf("%s profile %s: %v", name, f, err)
		}
	}
	share := 0.0
	for _, op := range s.Ops {
		share += op.Share
	}
	if math.Abs(share-1) > 1e-9 {
		t.Errorf("%s profile: op shares add up to %g, want 1", name, share)
	}
}

// opsTables returns the share column of each per-op Markdown table in
// text, checking that each adds up to 100% within its rounding.
func opsTables(t *testing.T, text string) [][]float64 {
	t.Helper()
	var tables [][]float64
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "| op | calls |") {
			continue
		}
		var shares []float64
		sum := 0.0
		for _, row := range lines[i+2:] {
			if !strings.HasPrefix(row, "| ") {
				break
			}
			cells := strings.Split(row, " | ")
			v, err := strconv.ParseFloat(strings.TrimSuffix(cells[4], "%"), 64)
			if err != nil {
				t.Fatalf("share cell %q of %q: %v", cells[4], row, err)
			}
			shares = append(shares, v)
			sum += v
		}
		if len(shares) == 0 || math.Abs(sum-100) > 0.05*float64(len(shares))+1e-9 {
			t.Errorf("per-op table at line %d: %d rows, shares add up to %.2f%%, want 100%%", i+1, len(shares), sum)
		}
		tables = append(tables, shares)
	}
	return tables
}

func TestBenchUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench"}, "no mode given"},
		{[]string{"bench", "warp"}, `unknown mode "warp"`},
		{[]string{"bench", "step"}, "missing ARCH"},
		{[]string{"bench", "step", "--arch", "8,2,3|99,1,2|4,1,4|4,1,6|32"}, "stage 2 kernel (K2): got 99"},
		{[]string{"bench", "step", benchTinyArch, "--img", "16"}, "at 16 px"},
		{[]string{"bench", "step", benchTinyArch, "--batch", "0"}, "--batch: got 0, want 1 or more"},
		{[]string{"bench", "step", benchTinyArch, "--repeat", "0"}, "--repeat: got 0"},
		{[]string{"bench", "step", benchTinyArch, "--warmup", "-1"}, "--warmup: got -1"},
		{[]string{"bench", "step", benchTinyArch, "--peak-gflops", "0"}, "--peak-gflops: got 0"},
		{[]string{"bench", "step", benchTinyArch, "--channels", "2"}, "--channels: got 2"},
		{[]string{"bench", "step", benchTinyArch, "--json", filepath.Join(dir, "missing", "b.json")}, "does not exist"},
		{[]string{"bench", "step", benchTinyArch, "--arch", seedArch}, "name different topologies"},
		{[]string{"bench", "step", benchTinyArch, "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"bench", "measure", benchTinyArch, "--batch", "1"}, "--batch: got 1, want 2 or more"},
		{[]string{"bench", "measure", benchTinyArch, "--img", "16"}, "at 16 px"},
		{[]string{"bench", "measure", benchTinyArch, "--inits", "0"}, "--inits: got 0"},
		{[]string{"bench", "measure", benchTinyArch, "--curve", "0"}, "--curve: got 0"},
		{[]string{"bench", "measure", benchTinyArch, "--batch", "5000"}, "batch 5000 is out of range"},
		{[]string{"bench", "measure", benchTinyArch, "--chunk", "-1"}, "chunk -1 is out of range"},
		{[]string{"bench", "measure", "--arch", "bogus"}, "ARCH"},
	} {
		code, _, stderr := runApp(t, context.Background(), c.args...)
		help := "Run 'asvit bench --help'"
		if len(c.args) > 1 && (c.args[1] == "step" || c.args[1] == "measure") {
			help = "Run 'asvit bench " + c.args[1] + " --help'"
		}
		if code != ExitUsage || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, help) {
			t.Errorf("asvit %q: exit %d, stderr %q; want exit %d, a message with %q and %q", c.args, code, stderr, ExitUsage, c.msg, help)
		}
	}
}

func TestBenchHelp(t *testing.T) {
	app := NewApp(io.Discard, io.Discard)
	bench := app.Command("bench")
	for _, mode := range []string{"step", "measure"} {
		code, stdout, _ := runApp(t, context.Background(), "bench", mode, "--help")
		if code != ExitOK {
			t.Errorf("asvit bench %s --help: exit %d", mode, code)
		}
		for _, f := range bench.Command(mode).Flags {
			if !strings.Contains(stdout, "--"+f.Names()[0]) {
				t.Errorf("asvit bench %s --help does not mention --%s:\n%s", mode, f.Names()[0], stdout)
			}
		}
	}
	code, stdout, _ := runApp(t, context.Background(), "bench", "--help")
	if code != ExitOK || !strings.Contains(stdout, "step") || !strings.Contains(stdout, "measure") {
		t.Errorf("asvit bench --help: exit %d, output lacks the modes:\n%s", code, stdout)
	}
}

func TestInterspersedSubcommand(t *testing.T) {
	app := NewApp(io.Discard, io.Discard)
	for _, c := range []struct {
		in, want []string
		command  string
	}{
		{[]string{"bench", "step", "A", "--repeat", "2", "--threads", "1"},
			[]string{"--threads", "1", "bench", "step", "--repeat", "2", "A"}, "bench step"},
		{[]string{"bench", "measure", "--img=64", "--profile", "d", "A"}, []string{"bench", "measure", "--img=64", "--profile", "d", "A"}, "bench measure"},
		{[]string{"bench", "step", "--help"}, []string{"bench", "step", "--help"}, "bench step"},
		{[]string{"bench", "--help"}, []string{"bench", "--help"}, "bench"},
		{[]string{"bench", "warp", "step"}, []string{"bench", "warp", "step"}, "bench"},
		// A command without subcommands keeps its positional arguments.
		{[]string{"info", "bench", "step"}, []string{"info", "bench", "step"}, "info"},
	} {
		got, command := interspersed(app, append([]string{"asvit"}, c.in...))
		want := append([]string{"asvit"}, c.want...)
		if !slices.Equal(got, want) || command != c.command {
			t.Errorf("interspersed(%q) = %q, %q; want %q, %q", c.in, got, command, want, c.command)
		}
	}
}
