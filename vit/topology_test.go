package vit

import (
	"strings"
	"testing"
)

const (
	seedString  = "8,2,3|4,1,2|4,1,4|4,1,6|32"
	largeString = "8,2,3,5|4,1,2,2|4,1,4,5|4,1,6,2|32,180"
)

var (
	seedTopology = Topology{
		Stages: [4]Stage{{8, 2, 3, 1}, {4, 1, 2, 1}, {4, 1, 4, 1}, {4, 1, 6, 1}},
		Heads:  32, Hidden: 32,
	}
	largeTopology = Topology{
		Stages: [4]Stage{{8, 2, 3, 5}, {4, 1, 2, 2}, {4, 1, 4, 5}, {4, 1, 6, 2}},
		Heads:  32, Hidden: 180,
	}
)

func TestParse(t *testing.T) {
	mixed := seedTopology
	mixed.Stages[0].Depth = 3
	for _, c := range []struct {
		in   string
		want Topology
	}{
		{seedString, seedTopology},
		{largeString, largeTopology},
		{" 8 , 2,3 |\t4,1,2| 4,1,4 |4,1,6|32\n", seedTopology},
		{"8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32", seedTopology},
		{"8,2,3,3|4,1,2|4,1,4|4,1,6|32", mixed}, // L and C may be left out independently
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `topology "": found 0 "|" separators, want 4: K,S,E[,L] for each of 4 stages, then H[,C]`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|32|1", `found 5 "|" separators, want 4`},
		{"8,2|4,1,2|4,1,4|4,1,6|32", `stage 1: got "8,2", want K,S,E or K,S,E,L`},
		{"8,2,3|4,1,2,1,1|4,1,4|4,1,6|32", `stage 2: got "4,1,2,1,1", want K,S,E or K,S,E,L`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|32,32,1", `last part: got "32,32,1", want H or H,C`},
		{"8,2,3|x,1,2|4,1,4|4,1,6|32", `stage 2 kernel (K2): got "x", want an integer in 2..32`},
		{"8,2,3|4,1,2|4,,4|4,1,6|32", `stage 3 split (S3): got "", want an integer in 1..1024`},
		{"8,2,3|4,1,2|4,1,4|4,1,6.5|32", `stage 4 expansion (E4): got "6.5", want an integer in 1..64`},
		{"8,2,3,0|4,1,2|4,1,4|4,1,6|32", `stage 1 depth (L1): got 0, want an integer in 1..256`},
		{"8,2,3|1,1,2|4,1,4|4,1,6|32", `stage 2 kernel (K2): got 1, want an integer in 2..32`},
		{"0,2,3|4,1,2|4,1,4|4,1,6|32", `stage 1 kernel (K1): got 0, want an integer in 1..32`},
		{"8,2,3|4,1,2|4,1,4|4,2,6|32", `stage 4 split (S4): got 2, want 1 (the last stage attends globally)`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|12", `heads (H): got 12, want a multiple of 8 in 8..1024`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|h", `heads (H): got "h", want a multiple of 8 in 8..1024`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|32,2000", `hidden size (C): got 2000, want an integer in 1..1024`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|64,4", `heads (H) 64 with hidden size (C) 4: stage 1 would split 4 channels into 8 heads (head dim 0); want H ≤ 8·C, or raise C`},
		{"8,2,3|4,1,2|4,1,4|4,1,6|99999999999999999999", `heads (H): got "99999999999999999999"`},
	} {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", c.in, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error\n got %q\nwant it to contain %q", c.in, err, c.want)
		}
	}
}

func TestStringForms(t *testing.T) {
	deep := seedTopology
	deep.Stages[2].Depth = 2
	wide := seedTopology
	wide.Hidden = 64
	for _, c := range []struct {
		t             Topology
		short, scaled string
	}{
		{seedTopology, seedString, "8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32"},
		{largeTopology, largeString, largeString},
		{deep, "8,2,3,1|4,1,2,1|4,1,4,2|4,1,6,1|32,32", "8,2,3,1|4,1,2,1|4,1,4,2|4,1,6,1|32,32"},
		{wide, "8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,64", "8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,64"},
	} {
		if got := c.t.String(); got != c.short {
			t.Errorf("String() = %q, want %q", got, c.short)
		}
		if got := c.t.ScaledString(); got != c.scaled {
			t.Errorf("ScaledString() = %q, want %q", got, c.scaled)
		}
	}
}

func TestWidths(t *testing.T) {
	for _, c := range []struct {
		t    Topology
		want [4]Width
		nf   int
	}{
		{seedTopology, [4]Width{{32, 4, 8, 32, 96}, {64, 8, 8, 64, 128}, {128, 16, 8, 128, 512}, {256, 32, 8, 256, 1536}}, 256},
		// C = 180: the last stage is capped at 1024 channels.
		{largeTopology, [4]Width{{180, 4, 45, 180, 540}, {360, 8, 45, 360, 720}, {720, 16, 45, 720, 2880}, {1024, 32, 32, 1024, 6144}}, 1024},
		// C = 9, H = 16: 9 channels in 2 heads of 4 leave inner = 8 < 9.
		{Topology{Stages: seedTopology.Stages, Heads: 16, Hidden: 9},
			[4]Width{{9, 2, 4, 8, 27}, {18, 4, 4, 16, 36}, {36, 8, 4, 32, 144}, {72, 16, 4, 64, 432}}, 72},
	} {
		if got := c.t.Widths(); got != c.want {
			t.Errorf("%v: Widths() = %+v, want %+v", c.t, got, c.want)
		}
		if got := c.t.Features(); got != c.nf {
			t.Errorf("%v: Features() = %d, want %d", c.t, got, c.nf)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		seedString, largeString, "", "|||||", "4,8,2|2,4,6|2,2,6|4,1,2|64",
		" 8 ,2,3|4,1,2|4,1,4|4,1,6 | 32 , 8 ", "8,2,3,+2|4,1,2|4,1,4|4,1,6|16,-3",
		"32,1024,64,256|32,1024,64,256|32,1024,64,256|32,1,64,256|1024,1024",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		top, err := Parse(s)
		if err != nil {
			return
		}
		if err := top.Validate(); err != nil {
			t.Fatalf("Parse(%q) returned an invalid topology: %v", s, err)
		}
		for _, form := range []string{top.String(), top.ScaledString()} {
			back, err := Parse(form)
			if err != nil || back != top {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v (from %q)", form, back, err, top, s)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(largeString); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	for b.Loop() {
		_ = largeTopology.String()
	}
}
