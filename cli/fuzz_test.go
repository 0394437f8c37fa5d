package cli

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/export"
)

// FuzzParseNorm checks that parseNorm either fails or returns one finite
// value per channel that formatFloats writes back unchanged.
func FuzzParseNorm(f *testing.F) {
	for _, s := range []string{"0.485,0.456,0.406", "0.5", "-1,2,3e-3", "1,2", "NaN", "", " 1 , 2 , 3 ", "0x1p-2"} {
		f.Add(s, 3, false)
		f.Add(s, 1, true)
	}
	f.Fuzz(func(t *testing.T, text string, channels int, positive bool) {
		channels = []int{1, 3}[(channels%2+2)%2]
		vals, err := parseNorm("x", text, channels, positive)
		if err != nil {
			return
		}
		if len(vals) != channels {
			t.Fatalf("parseNorm(%q, %d) gave %d values", text, channels, len(vals))
		}
		again, err := parseNorm("x", export.FormatFloats(vals), channels, positive)
		if err != nil || !slices.Equal(again, vals) {
			t.Fatalf("round trip of %v through %q: %v, %v", vals, export.FormatFloats(vals), again, err)
		}
	})
}

// FuzzSplitNames checks that names are trimmed and non-empty, and that
// joining them splits back to the same list.
func FuzzSplitNames(f *testing.F) {
	for _, s := range []string{"a,b,c", "cat\ndog\n", " x , y ", ",", "a,,b", "\n\n"} {
		f.Add(s, s[0]%2 == 0)
	}
	f.Fuzz(func(t *testing.T, text string, lines bool) {
		sep := ","
		if lines {
			sep = "\n"
		}
		names, err := splitNames(text, sep)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || n != strings.TrimSpace(n) || strings.Contains(n, sep) {
				t.Fatalf("splitNames(%q) gave name %q", text, n)
			}
		}
		again, err := splitNames(strings.Join(names, sep), sep)
		if err != nil || !slices.Equal(again, names) {
			t.Fatalf("round trip of %q: %q, %v", names, again, err)
		}
	})
}

// FuzzInterspersed checks that reordering keeps every argument, the
// program name first, and adds at most a "--".
func FuzzInterspersed(f *testing.F) {
	for _, s := range []string{"info A --json", "predict a.png -m m --top 3 -- -b.png", "--threads 2 export --arch A", "x -- --", "-", "bench step A --repeat 2 --threads 1", "bench --help measure -- -x"} {
		f.Add(s)
	}
	app := NewApp(io.Discard, io.Discard)
	f.Fuzz(func(t *testing.T, line string) {
		args := append([]string{"asvit"}, strings.Fields(line)...)
		out, _ := interspersed(app, args)
		if out[0] != "asvit" {
			t.Fatalf("interspersed(%q) = %q: the program name moved", args, out)
		}
		count := func(s []string) map[string]int {
			m := map[string]int{}
			for _, a := range s {
				m[a]++
			}
			return m
		}
		got, want := count(out), count(args)
		if got["--"] > want["--"]+1 {
			t.Fatalf("interspersed(%q) = %q: too many \"--\"", args, out)
		}
		delete(got, "--")
		delete(want, "--")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("interspersed(%q) = %q: arguments lost or added", args, out)
		}
	})
}
