package cli

import (
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
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
		again, err := parseNorm("x", formatFloats(vals), channels, positive)
		if err != nil || !slices.Equal(again, vals) {
			t.Fatalf("round trip of %v through %q: %v, %v", vals, formatFloats(vals), again, err)
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

// FuzzDecodeMeta checks that decodeMeta never panics and that what it
// accepts encodes and decodes to the same metadata.
func FuzzDecodeMeta(f *testing.F) {
	good := `{"asvit.arch":"8,2,3|4,1,2|4,1,4|4,1,6|32","asvit.image":"32","asvit.channels":"3","asvit.classes":"2",` +
		`"asvit.mean":"0.5,0.4,0.3","asvit.std":"1,1,1","asvit.output":"logits","asvit.class_names":"[\"a\",\"b\"]"}`
	f.Add(good)
	f.Add(strings.Replace(good, `"asvit.channels":"3"`, `"asvit.channels":"1"`, 1))
	f.Add(strings.Replace(good, `"logits"`, `"features"`, 1))
	f.Add(`{"asvit.arch":"x"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, text string) {
		var props map[string]string
		if json.Unmarshal([]byte(text), &props) != nil {
			return
		}
		m, err := decodeMeta(props)
		if err != nil {
			return
		}
		enc, err := m.encode()
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		again, err := decodeMeta(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}

// FuzzInterspersed checks that reordering keeps every argument, the
// program name first, and adds at most a "--".
func FuzzInterspersed(f *testing.F) {
	for _, s := range []string{"info A --json", "predict a.png -m m --top 3 -- -b.png", "--threads 2 export --arch A", "x -- --", "-"} {
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
