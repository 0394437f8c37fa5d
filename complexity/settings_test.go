package complexity

import (
	"strings"
	"testing"

	"github.com/asvit/asvit/ort"
)

func TestDefaultSettingsAreTheAuthors(t *testing.T) {
	s := DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Image != 224 || s.Channels != 3 || s.Batch != 16 || s.CurvePoints != 10 || s.Repeat != 5 || s.Radius != RadiusOne {
		t.Errorf("defaults %+v", s)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.Image = 0 }, "image 0"},
		{func(s *Settings) { s.Channels = 2 }, "channels 2"},
		{func(s *Settings) { s.Batch = 1 }, "batch 1"},
		{func(s *Settings) { s.Batch = maxBatch + 1 }, "batch"},
		{func(s *Settings) { s.CurvePoints = 0 }, "curve points 0"},
		{func(s *Settings) { s.Repeat = 0 }, "repeat 0"},
		{func(s *Settings) { s.Classes = 0 }, "classes 0"},
		{func(s *Settings) { s.CacheSize = -1 }, "cache size -1"},
		{func(s *Settings) { s.Chunk = -1 }, "chunk -1"},
		{func(s *Settings) { s.Radius = 7 }, "radius"},
		{func(s *Settings) { s.Method = 9 }, "method"},
		{func(s *Settings) { s.ORT.Threads = -1 }, "threads"},
		{func(s *Settings) { s.ORT.Device = "tpu" }, "device"},
	} {
		s := DefaultSettings()
		c.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error mentioning %q, got %v", c.want, err)
		}
	}
	s := DefaultSettings()
	s.CurvePoints, s.Repeat, s.CacheSize, s.Radius, s.Method = 1, 1, 0, RadiusSqrtN, BruteForce
	s.ORT = ort.Options{Device: ort.CUDA, CUDADevice: 1}
	if err := s.Validate(); err != nil {
		t.Errorf("edge settings rejected: %v", err)
	}
}

func TestParseRadius(t *testing.T) {
	for in, want := range map[string]Radius{"1": RadiusOne, "one": RadiusOne, " sqrt-n ": RadiusSqrtN, "SQRT-N": RadiusSqrtN} {
		if got, err := ParseRadius(in); err != nil || got != want {
			t.Errorf("ParseRadius(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "sqrt", "sqrtn"} {
		if _, err := ParseRadius(in); err == nil || !strings.Contains(err.Error(), "sqrt-n") {
			t.Errorf("ParseRadius(%q): %v, want an error listing the choices", in, err)
		}
	}
}

func FuzzParseRadius(f *testing.F) {
	for _, s := range []string{"1", "one", "sqrt-n", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRadius(s)
		if err != nil {
			return
		}
		if back, err := ParseRadius(r.String()); err != nil || back != r {
			t.Errorf("%q parsed as %v, which reads back as %v, %v", s, r, back, err)
		}
	})
}

func TestMethodString(t *testing.T) {
	if Fast.String() != "fast" || BruteForce.String() != "brute-force" || !strings.Contains(Method(5).String(), "5") {
		t.Error(Fast, BruteForce, Method(5))
	}
}
