package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{usagef("bad flag"), ExitUsage},
		{fmt.Errorf("wrapped: %w", usagef("bad flag")), ExitUsage},
		{context.Canceled, ExitInterrupted},
		{fmt.Errorf("predict: %w", context.Canceled), ExitInterrupted},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestInterspersed(t *testing.T) {
	app := NewApp(io.Discard, io.Discard)
	for _, c := range []struct {
		in, want []string
		command  string
	}{
		{[]string{"info", "A", "--json", "--img", "32"}, []string{"info", "--json", "--img", "32", "A"}, "info"},
		{[]string{"info", "--img=32", "A"}, []string{"info", "--img=32", "A"}, "info"},
		{[]string{"predict", "a.png", "--threads", "2", "-m", "m.onnx", "b.png"},
			[]string{"--threads", "2", "predict", "-m", "m.onnx", "a.png", "b.png"}, "predict"},
		{[]string{"--device", "cpu", "predict", "--top", "3", "--", "-odd.png", "--json"},
			[]string{"--device", "cpu", "predict", "--top", "3", "--", "-odd.png", "--json"}, "predict"},
		{[]string{"export", "--mean", "-0.5", "--arch", "A"}, []string{"export", "--mean", "-0.5", "--arch", "A"}, "export"},
		{[]string{"info", "A", "--bogus", "B"}, []string{"info", "--bogus", "A", "B"}, "info"},
		{[]string{"info", "A", "-h"}, []string{"info", "-h", "A"}, "info"},
		{[]string{"--help"}, []string{"--help"}, ""},
		{[]string{}, []string{}, ""},
	} {
		got, command := interspersed(app, append([]string{"asvit"}, c.in...))
		want := append([]string{"asvit"}, c.want...)
		if !slices.Equal(got, want) || command != c.command {
			t.Errorf("interspersed(%q) = %q, %q; want %q, %q", c.in, got, command, want, c.command)
		}
	}
}

// TestUsageErrors checks that mistakes on the command line exit with 2 and
// say what was wrong.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string // in stderr
	}{
		{[]string{}, "no command given"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"info"}, "missing ARCH"},
		{[]string{"info", seedArch, "extra"}, "too many arguments"},
		{[]string{"info", seedArch, "--arch", "4,4,3|4,4,4|4,2,6|4,1,3|32"}, "name different topologies"},
		{[]string{"info", "--arch", "8,2,3|99,1,2|4,1,4|4,1,6|32"}, "stage 2 kernel (K2): got 99"},
		{[]string{"complexity"}, "missing ARCH"},
		{[]string{"complexity", seedArch, "--arch", "4,4,3|4,4,4|4,2,6|4,1,3|32"}, "name different topologies"},
		{[]string{"complexity", seedArch, "--channels", "2"}, "--channels: got 2"},
		{[]string{"info", "8,2,3|99,1,2|4,1,4|4,1,6|32"}, "stage 2 kernel (K2): got 99"},
		{[]string{"info", "8,2,3|4,1,2|4,1,4|4,1,6"}, `found 3 "|" separators`},
		{[]string{"info", seedArch, "--img", "30"}, "30 px"},
		{[]string{"info", seedArch, "--channels", "2"}, "--channels: got 2"},
		{[]string{"info", seedArch, "--img", "x"}, "invalid value"},
		{[]string{"info", seedArch, "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"export", "--out", "x.onnx"}, "missing --arch"},
		{[]string{"export", "--arch", seedArch}, "missing --out"},
		{[]string{"export", "--arch", seedArch, "--out", "x.onnx", "--mean", "1,2"}, "--mean: got 2 values"},
		{[]string{"export", "--arch", seedArch, "--out", "x.onnx", "--std", "0"}, "--std: got \"0\""},
		{[]string{"export", "--arch", seedArch, "--out", "x.onnx", "--classes", "3", "--class-names", "a,b"}, "got 2 class names for 3 classes"},
		{[]string{"export", "--arch", seedArch, "--out", "x.onnx", "--outputs", "features", "--class-names", "a"}, "no use with --outputs features"},
		{[]string{"predict", "a.png"}, "missing --model"},
		{[]string{"predict", "-m", "m.onnx"}, "nothing to predict"},
		{[]string{"predict", "-m", "m.onnx", "--inputs", "x.npy", "a.png"}, "give one of"},
		{[]string{"predict", "-m", "m.onnx", "--top", "0", "a.png"}, "--top: got 0"},
		{[]string{"predict", "-m", "m.onnx", "--min-score", "2", "a.png"}, "--min-score: got 2"},
		{[]string{"predict", "m.onnx"}, "nothing to predict"},
		{[]string{"--device", "tpu", "predict", "-m", "m.onnx", "a.png"}, "--device"},
		{[]string{"--threads", "-1", "predict", "-m", "m.onnx", "a.png"}, "thread"},
		{[]string{"inspect"}, "missing FILE.onnx"},
	} {
		code, _, stderr := runApp(t, context.Background(), c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "--help") {
			t.Errorf("asvit %q: exit %d, stderr %q; want exit %d and a message with %q and a pointer to --help",
				c.args, code, stderr, ExitUsage, c.msg)
		}
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	app := NewApp(io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		code, stdout, _ := runApp(t, context.Background(), cmd.Name, "--help")
		if code != ExitOK {
			t.Errorf("asvit %s --help: exit %d", cmd.Name, code)
		}
		for _, f := range cmd.Flags {
			if !strings.Contains(stdout, "--"+f.Names()[0]) {
				t.Errorf("asvit %s --help does not mention --%s:\n%s", cmd.Name, f.Names()[0], stdout)
			}
		}
	}
	code, stdout, _ := runApp(t, context.Background(), "--help")
	if code != ExitOK || !strings.Contains(stdout, "--threads") || !strings.Contains(stdout, "--device") {
		t.Errorf("asvit --help: exit %d, output lacks the global flags:\n%s", code, stdout)
	}
}

func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr := runApp(t, ctx, "export", "--arch", seedArch, "--img", "32", "--out", dir+"/m.onnx")
	if code != ExitInterrupted || !strings.Contains(stderr, "interrupted") {
		t.Errorf("export with a cancelled context: exit %d, stderr %q; want %d, interrupted", code, stderr, ExitInterrupted)
	}
}
