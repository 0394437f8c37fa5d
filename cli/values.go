package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseNorm reads the comma-separated normalisation values of flag (mean or
// std): one per channel or one for all, returned as channels values. With
// positive set every value must be above zero, as a std must.
func parseNorm(flag, text string, channels int, positive bool) ([]float32, error) {
	fields := strings.Split(text, ",")
	if len(fields) != 1 && len(fields) != channels {
		return nil, fmt.Errorf("--%s: got %d values, want 1 or %d (one per channel) separated by commas", flag, len(fields), channels)
	}
	vals := make([]float32, channels)
	for i, f := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		bad := err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (positive && v <= 0)
		if bad {
			want := "a finite number"
			if positive {
				want = "a finite number above 0"
			}
			return nil, fmt.Errorf("--%s: got %q, want %s", flag, strings.TrimSpace(f), want)
		}
		vals[i] = float32(v)
	}
	for i := len(fields); i < channels; i++ {
		vals[i] = vals[0]
	}
	return vals, nil
}

// formatFloats writes vals as parseNorm reads them.
func formatFloats(vals []float32) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return strings.Join(parts, ",")
}

// splitNames splits text at sep into trimmed class names. Empty names after
// the last non-empty one are dropped (a file's final newline); any other
// empty name is an error.
func splitNames(text, sep string) ([]string, error) {
	names := strings.Split(text, sep)
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no class names")
	}
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("class name %d is empty", i+1)
		}
	}
	return names, nil
}

// groupDigits writes n with commas between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// metric writes n with a metric prefix and three significant digits, such
// as "2.32 M" or "492 M".
func metric(n int64) string {
	v := float64(n)
	for _, p := range []struct {
		scale float64
		unit  string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(v) >= p.scale*0.9995 { // what rounds to 1000 of the smaller unit
			return strconv.FormatFloat(v/p.scale, 'g', 3, 64) + " " + p.unit
		}
	}
	return strconv.FormatInt(n, 10)
}
