package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNorm(t *testing.T) {
	for _, c := range []struct {
		text     string
		channels int
		positive bool
		want     []float32
		err      string
	}{
		{"0.485,0.456,0.406", 3, false, []float32{0.485, 0.456, 0.406}, ""},
		{" 0.5 ", 3, false, []float32{0.5, 0.5, 0.5}, ""},
		{"-1", 1, false, []float32{-1}, ""},
		{"1,2", 3, false, nil, "got 2 values, want 1 or 3"},
		{"1,2,3", 1, false, nil, "got 3 values, want 1 or 1"},
		{"0", 1, true, nil, `got "0", want a finite number above 0`},
		{"NaN", 1, false, nil, `got "NaN", want a finite number`},
		{"1e40", 1, false, nil, `got "1e40"`}, // overflows float32
		{"a", 1, false, nil, `got "a"`},
		{"", 1, false, nil, `got ""`},
	} {
		got, err := parseNorm("x", c.text, c.channels, c.positive)
		if c.err == "" && (err != nil || !slices.Equal(got, c.want)) {
			t.Errorf("parseNorm(%q, %d) = %v, %v; want %v", c.text, c.channels, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("parseNorm(%q, %d) error %v, want one containing %q", c.text, c.channels, err, c.err)
		}
	}
}

func TestSplitNames(t *testing.T) {
	for _, c := range []struct {
		text, sep string
		want      []string
		err       string
	}{
		{"a, b ,c", ",", []string{"a", "b", "c"}, ""},
		{"cat\ndog\n\n", "\n", []string{"cat", "dog"}, ""},
		{"T-shirt/top\nAnkle boot", "\n", []string{"T-shirt/top", "Ankle boot"}, ""},
		{"a,,b", ",", nil, "class name 2 is empty"},
		{"\n\n", "\n", nil, "no class names"},
	} {
		got, err := splitNames(c.text, c.sep)
		if c.err == "" && (err != nil || !slices.Equal(got, c.want)) {
			t.Errorf("splitNames(%q) = %q, %v; want %q", c.text, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("splitNames(%q) error %v, want %q", c.text, err, c.err)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, c := range []struct {
		n              int64
		grouped, short string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1,000", "1 k"},
		{-1234567, "-1,234,567", "-1.23 M"},
		{2319624, "2,319,624", "2.32 M"},
		{491595264, "491,595,264", "492 M"},
		{999_950_000, "999,950,000", "1 G"},
	} {
		if g, s := groupDigits(c.n), metric(c.n); g != c.grouped || s != c.short {
			t.Errorf("%d: groupDigits %q, metric %q; want %q, %q", c.n, g, s, c.grouped, c.short)
		}
	}
}
