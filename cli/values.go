package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/asvit/asvit/export"
)

// parseNorm reads the comma-separated normalisation values of flag (mean or
// std): one per channel or one for all, returned as channels values. With
// positive set every value must be above zero, as a std must.
func parseNorm(flag, text string, channels int, positive bool) ([]float32, error) {
	n := strings.Count(text, ",") + 1
	if n != 1 && n != channels {
		return nil, fmt.Errorf("--%s: got %d values, want 1 or %d (one per channel) separated by commas", flag, n, channels)
	}
	vals, err := export.ParseFloats(text, n, positive)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	for len(vals) < channels {
		vals = append(vals, vals[0])
	}
	return vals, nil
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
