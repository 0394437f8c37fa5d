package vit

import (
	"strings"
	"testing"
)

func mustNew(t testing.TB, s Spec) Model {
	t.Helper()
	m, err := New(s)
	if err != nil {
		t.Fatalf("New(%v at %d px): %v", s.Topology, s.Image, err)
	}
	return m
}

func TestGeometrySeed224(t *testing.T) {
	got := mustNew(t, NewSpec(seedTopology, 224, 1000)).Stages()
	reembed := func(in, ch int) Embed {
		return Embed{Kernel: 4, Stride: 2, Dilation: 1, PadBegin: 1, PadEnd: 1, InRes: in, InChannels: ch}
	}
	want := [4]StageGeom{
		{Width: Width{32, 4, 8, 32, 96}, Depth: 1, Res: 56, Tokens: 3136, Window: 28, WindowsPerSide: 2,
			Embed: Embed{Kernel: 8, Stride: 4, Dilation: 1, PadBegin: 2, PadEnd: 2, InRes: 224, InChannels: 3}},
		{Width: Width{64, 8, 8, 64, 128}, Depth: 1, Res: 28, Tokens: 784, Window: 28, WindowsPerSide: 1, Embed: reembed(56, 32)},
		{Width: Width{128, 16, 8, 128, 512}, Depth: 1, Res: 14, Tokens: 196, Window: 14, WindowsPerSide: 1, Embed: reembed(28, 64)},
		{Width: Width{256, 32, 8, 256, 1536}, Depth: 1, Res: 7, Tokens: 49, Window: 7, WindowsPerSide: 1, Embed: reembed(14, 128)},
	}
	if got != want {
		t.Errorf("seed at 224 px:\n got %+v\nwant %+v", got, want)
	}
}

// countPositions counts the window positions inside a padded map directly.
func countPositions(e Embed) int {
	n := 0
	for p := 0; p*e.Stride+e.Span() <= e.InRes+e.PadBegin+e.PadEnd; p++ {
		n++
	}
	return n
}

func TestEmbedOutRes(t *testing.T) {
	for in := 1; in <= 70; in++ {
		for k := 1; k <= 9; k++ {
			for _, s := range []int{1, 2, 3, 4, 8, 16} {
				for _, d := range []int{1, 2, 5} {
					for _, pads := range [][2]int{{0, 0}, {1, 2}, {3, 3}} {
						e := Embed{Kernel: k, Stride: s, Dilation: d, PadBegin: pads[0], PadEnd: pads[1], InRes: in}
						if got, want := e.OutRes(), countPositions(e); got != want {
							t.Fatalf("%+v: OutRes() = %d, want %d", e, got, want)
						}
					}
				}
			}
		}
	}
}

// The padding follows the authors' rule, so a patch embedding gives
// Image/stride (or (Image - span)/stride + 1 for a span shorter than the
// stride) and each re-embedding halves the resolution.
func TestResolutionRule(t *testing.T) {
	top := seedTopology
	for i := range top.Stages {
		top.Stages[i].Split = 1 // one window everywhere: only the resolutions matter here
	}
	for _, k1 := range []int{4, 5, 8} {
		for _, k := range []int{2, 3, 4, 5} {
			for _, sd := range [][2]int{{4, 1}, {8, 2}, {16, 5}, {2, 1}} {
				for image := 1; image <= 300; image++ {
					top.Stages[0].Kernel = k1
					for i := 1; i < NumStages; i++ {
						top.Stages[i].Kernel = k
					}
					s := NewSpec(top, image, 10)
					s.PatchStride, s.PatchDilation = sd[0], sd[1]
					m, err := New(s)
					res := []int{image / sd[0]}
					if span := sd[1]*(k1-1) + 1; span < sd[0] {
						res[0] = 0
						if image >= span {
							res[0] = (image-span)/sd[0] + 1
						}
					}
					for len(res) < NumStages {
						res = append(res, res[len(res)-1]/2)
					}
					if res[NumStages-1] == 0 {
						if err == nil {
							t.Fatalf("%v at %d px, stride %v: accepted with a stage of resolution 0", top, image, sd)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%v at %d px, stride %v: %v", top, image, sd, err)
					}
					for i, g := range m.Stages() {
						if g.Res != res[i] || g.Tokens != res[i]*res[i] || g.Window != res[i] || g.WindowsPerSide != 1 {
							t.Fatalf("%v at %d px, stride %v: stage %d = %+v, want resolution %d", top, image, sd, i+1, g, res[i])
						}
					}
				}
			}
		}
	}
}

func TestPatchPadding(t *testing.T) {
	for _, c := range []struct {
		k1, stride, dil  int
		padBegin, padEnd int
	}{
		{4, 4, 1, 0, 0}, {5, 4, 1, 0, 1}, {6, 4, 1, 1, 1}, {7, 4, 1, 1, 2}, {8, 4, 1, 2, 2}, // ((K1-4)//2, (K1-3)//2)
		{4, 16, 5, 0, 0}, // span 16
		{8, 8, 2, 3, 4},  // span 15
		{4, 8, 2, 0, 0},  // span 7 < stride: no padding
		{2, 4, 1, 0, 0},
	} {
		top := seedTopology
		top.Stages[0].Kernel = c.k1
		s := NewSpec(top, 224, 10)
		s.PatchStride, s.PatchDilation = c.stride, c.dil
		e := mustNew(t, s).Stages()[0].Embed
		if e.PadBegin != c.padBegin || e.PadEnd != c.padEnd {
			t.Errorf("K1 %d stride %d dilation %d: pads (%d, %d), want (%d, %d)",
				c.k1, c.stride, c.dil, e.PadBegin, e.PadEnd, c.padBegin, c.padEnd)
		}
	}
}

func TestWindows(t *testing.T) {
	for _, c := range []struct {
		split, image  int
		window, sides int
	}{
		{2, 224, 28, 2},
		{8, 224, 7, 8},
		{8, 32, 1, 8},
		{16, 32, 8, 1}, // 8 // 16 = 0: one window covers the map
		{1, 32, 8, 1},  // res ≤ w: one window
		{5, 48, 2, 6},  // 12 // 5 = 2 tiles 12 in 6 windows per side, not 5
	} {
		top := seedTopology
		top.Stages[0].Split = c.split
		g := mustNew(t, NewSpec(top, c.image, 10)).Stages()[0]
		if g.Window != c.window || g.WindowsPerSide != c.sides || g.WindowTokens() != c.window*c.window {
			t.Errorf("S1 = %d at %d px: window %d, %d per side; want %d, %d", c.split, c.image, g.Window, g.WindowsPerSide, c.window, c.sides)
		}
	}
}

// Every topology of the search space fits 32, 64 and 224 px images, with
// S windows per side; only K and S change the geometry.
func TestSearchSpaceGeometry(t *testing.T) {
	var idx [NumChoices]int
	var walk func(j int)
	walk = func(j int) {
		if j == 7 { // K1..K4 and S1..S3 chosen
			top, err := FromChoices(idx)
			if err != nil {
				t.Fatal(err)
			}
			for _, image := range []int{32, 64, 224} {
				m := mustNew(t, NewSpec(top, image, 1000))
				for i, g := range m.Stages() {
					if g.WindowsPerSide != top.Stages[i].Split {
						t.Fatalf("%v at %d px: stage %d has %d windows per side, want S = %d", top, image, i+1, g.WindowsPerSide, top.Stages[i].Split)
					}
				}
			}
			return
		}
		for idx[j] = range space[j].Values {
			walk(j + 1)
		}
	}
	walk(0)
}

func TestNewErrors(t *testing.T) {
	spec := func(edit func(*Spec)) Spec {
		s := NewSpec(seedTopology, 224, 1000)
		edit(&s)
		return s
	}
	for _, c := range []struct {
		s    Spec
		want string
	}{
		{spec(func(s *Spec) { s.Heads = 12 }), "heads (H): got 12, want a multiple of 8 in 8..1024"},
		{spec(func(s *Spec) { s.Image = 0 }), "image: got 0, want an integer in 1..4096"},
		{spec(func(s *Spec) { s.Channels = 2 }), "channels: got 2, want 1 or 3"},
		{spec(func(s *Spec) { s.Channels = 0 }), "channels: got 0, want 1 or 3"},
		{spec(func(s *Spec) { s.Classes = 0 }), "classes: got 0, want an integer in 1..16777216"},
		{spec(func(s *Spec) { s.PatchStride = 0 }), "patch stride: got 0, want an integer in 1..4096 (NewSpec sets 4)"},
		{spec(func(s *Spec) { s.PatchDilation = 0 }), "patch dilation: got 0, want an integer in 1..4096 (NewSpec sets 1)"},
		{spec(func(s *Spec) { s.Image = 3 }), "image 3 px: stage 1 would have resolution 0; want a larger image"},
		{spec(func(s *Spec) { s.Image = 16 }), "image 16 px: stage 4 would have resolution 0 (earlier stages: 4, 2, 1); want a larger image"},
		{spec(func(s *Spec) { s.Image = 100 }),
			"image 100 px: stage 1 has resolution 25, and split S1 = 2 gives windows of 12 that do not tile it (25 % 12 = 1); want a split or image whose window divides the resolution"},
		{spec(func(s *Spec) { s.Image = 224; s.Stages[1].Split = 3 }),
			"stage 2 has resolution 28, and split S2 = 3 gives windows of 9 that do not tile it (28 % 9 = 1)"},
	} {
		_, err := New(c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v, %d px): error %v, want %q", c.s.Topology, c.s.Image, err, c.want)
		}
	}
}

func BenchmarkNew(b *testing.B) {
	s := NewSpec(largeTopology, 224, 1000)
	for b.Loop() {
		if _, err := New(s); err != nil {
			b.Fatal(err)
		}
	}
}
