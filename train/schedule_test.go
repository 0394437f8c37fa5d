package train

import (
	"math"
	"strings"
	"testing"

	"github.com/asvit/asvit/vit"
)

func TestParseSchedule(t *testing.T) {
	good := []struct {
		in   string
		want Schedule
	}{
		{"16x5:0.3,8x2:0.3,4x1:0.4", Schedule{{16, 5, 0.3}, {8, 2, 0.3}, {4, 1, 0.4}}},
		{"4x1:1", Schedule{{4, 1, 1}}},
		{" 8x2 : 0.5 , 4 x 1:0.5 ", Schedule{{8, 2, 0.5}, {4, 1, 0.5}}},
		{"4x1:0.3333333,4x1:0.3333333,4x1:0.3333334", Schedule{{4, 1, 0.3333333}, {4, 1, 0.3333333}, {4, 1, 0.3333334}}},
	}
	for _, c := range good {
		got, err := ParseSchedule(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			}
		}
	}
	bad := []struct{ in, want string }{
		{"", "empty"},
		{"16x5", `phase 1 "16x5": no ':'`},
		{"16x5:0.5,8-2:0.5", `phase 2 "8-2:0.5": no 'x'`},
		{"0x1:1", `stride "0"`},
		{"4x:1", `dilation ""`},
		{"4x1:0", `fraction "0"`},
		{"4x1:1.5", `fraction "1.5"`},
		{"4x1:NaN", `fraction "NaN"`},
		{"4x1:0.5,8x2:0.4", "sum to 0.9"},
		{"4x1:0.5,,4x1:0.5", `phase 2 ""`},
		{"4x1:1" + strings.Repeat(",4x1:0", maxPhases), "at most 16"},
		{"99999999999999999999x1:1", "stride"},
	}
	for _, c := range bad {
		_, err := ParseSchedule(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want one mentioning %q", c.in, err, c.want)
		}
	}
}

// FuzzParseSchedule checks that the parser never panics and that what it
// accepts is valid and survives String and a second parse.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"16x5:0.3,8x2:0.3,4x1:0.4", "4x1:1", "8x2:.5,4x1:5e-1", "4x1:0.5,4x1", "x:", ",,", "1x1:1e-7,1x1:0.9999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sched, err := ParseSchedule(s)
		if err != nil {
			return
		}
		sum := 0.0
		for _, p := range sched {
			if p.Stride < 1 || p.Dilation < 1 || !(p.Fraction > 0 && p.Fraction <= 1) {
				t.Fatalf("%q gave phase %+v", s, p)
			}
			sum += p.Fraction
		}
		if math.Abs(sum-1) > fractionSlack {
			t.Fatalf("%q: fractions sum to %g", s, sum)
		}
		again, err := ParseSchedule(sched.String())
		if err != nil || again.String() != sched.String() {
			t.Fatalf("%q → %q → %v, %v", s, sched.String(), again, err)
		}
		epochs := sched.Epochs(37)
		n := 0
		for _, e := range epochs {
			n += e
		}
		if n != 37 {
			t.Fatalf("%q: epochs %v sum to %d, want 37", s, epochs, n)
		}
	})
}

func TestScheduleEpochs(t *testing.T) {
	paper := Schedule{{16, 5, 0.3}, {8, 2, 0.3}, {4, 1, 0.4}}
	cases := []struct {
		s     Schedule
		total int
		want  []int
	}{
		{paper, 10, []int{3, 3, 4}},
		{paper, 300, []int{90, 90, 120}},
		{paper, 5, []int{2, 1, 2}}, // boundaries round(1.5) = 2, round(3) = 3
		{paper, 1, []int{0, 1, 0}}, // round(0.3) = 0, round(0.6) = 1
		{paper, 7, []int{2, 2, 3}}, // round(2.1) = 2, round(4.2) = 4
		{Schedule{{4, 1, 1}}, 9, []int{9}},
	}
	for _, c := range cases {
		got := c.s.Epochs(c.total)
		if len(got) != len(c.want) {
			t.Fatalf("%v over %d: %v, want %v", c.s, c.total, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%v over %d: %v, want %v", c.s, c.total, got, c.want)
				break
			}
		}
	}
	// Each phase is within one epoch of its exact share.
	for total := 1; total < 200; total++ {
		for i, e := range paper.Epochs(total) {
			if math.Abs(float64(e)-paper[i].Fraction*float64(total)) >= 1 {
				t.Errorf("%d epochs: phase %d gets %d, exact share %g", total, i+1, e, paper[i].Fraction*float64(total))
			}
		}
	}
}

func TestPhaseAt(t *testing.T) {
	epochs := []int{0, 2, 3}
	for e, want := range []int{1, 1, 2, 2, 2} {
		if got := PhaseAt(epochs, e); got != want {
			t.Errorf("epoch %d: phase %d, want %d", e, got, want)
		}
	}
}

func specOf(tb testing.TB, arch string, image int) vit.Spec {
	tb.Helper()
	top, err := vit.Parse(arch)
	if err != nil {
		tb.Fatal(err)
	}
	return vit.NewSpec(top, image, 10)
}

func TestDefaultSchedule(t *testing.T) {
	cases := []struct {
		arch  string
		image int
		want  string
	}{
		{"4,2,3|4,1,2|4,1,4|4,1,6|32", 224, "16x5:0.3,8x2:0.3,4x1:0.4"}, // the paper's, K1 = 4
		{seedArch, 224, "16x2:0.3,8x1:0.3,4x1:0.4"},                     // K1 = 8
		{"5,2,3|4,1,2|4,1,4|4,1,6|32", 224, "16x4:0.3,8x2:0.3,4x1:0.4"}, // spans 17 and 9
		{"7,2,3|4,1,2|4,1,4|4,1,6|32", 224, "16x3:0.3,8x1:0.3,4x1:0.4"}, // 15/6 = 2.5 rounds up
		{seedArch, 64, "8x1:0.6,4x1:0.4"},                               // stride 16 leaves stage 4 empty
		{seedArch, 32, "4x1:1"},                                         // only the full tokenizer fits
	}
	for _, c := range cases {
		spec := specOf(t, c.arch, c.image)
		got := DefaultSchedule(spec)
		if got.String() != c.want {
			t.Errorf("%s at %d px: %s, want %s", c.arch, c.image, got, c.want)
		}
		if _, err := got.Models(spec); err != nil {
			t.Errorf("%s at %d px: default schedule rejected: %v", c.arch, c.image, err)
		}
	}
}

func TestScheduleModelsNamesBadPhase(t *testing.T) {
	sched, err := ParseSchedule("8x1:0.5,4x1:0.5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sched.Models(specOf(t, seedArch, 32))
	if err == nil || !strings.Contains(err.Error(), "phase 1 (stride 8, dilation 1)") || !strings.Contains(err.Error(), "resolution 0") {
		t.Errorf("err = %v, want phase 1 named with the empty stage", err)
	}
}

func TestLRSchedule(t *testing.T) {
	l := LRSchedule{Peak: 1e-3, Warmup: 4, Total: 14}
	want := map[int]float64{
		0:  0.25e-3,
		3:  1e-3,         // last warm-up step reaches the peak
		4:  1e-3,         // cosine at 0
		9:  0.5e-3,       // half way through the decay
		13: 0.0244717e-3, // (1+cos(0.9π))/2
	}
	for i, w := range want {
		// The expected values are written to 6 digits.
		if got := l.At(i); math.Abs(got-w) > 1e-9 {
			t.Errorf("step %d: lr %.9g, want %.9g", i, got, w)
		}
	}
	for i := 1; i < 14; i++ {
		if i > 4 && l.At(i) >= l.At(i-1) {
			t.Errorf("lr rises after the warm-up at step %d", i)
		}
	}
	if got := (LRSchedule{Peak: 2, Total: 10}).At(0); got != 2 {
		t.Errorf("no warm-up: first lr %g, want the peak", got)
	}
}

func BenchmarkParseSchedule(b *testing.B) {
	for b.Loop() {
		if _, err := ParseSchedule("16x5:0.3,8x2:0.3,4x1:0.4"); err != nil {
			b.Fatal(err)
		}
	}
}
