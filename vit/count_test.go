package vit

import (
	"math"
	"testing"
)

// Figures from the authors' PyTorch model (lib/models/cell_infers/transformer.py)
// measured with their counter (thop_modified.profile with count_matmul) at
// batch 1, and sum(p.numel()) for the parameters.
var authorsFigures = []struct {
	arch                     string
	image, classes, channels int
	macs, params             int64
}{
	{seedString, 224, 1000, 3, 491_595_264, 2_319_624},
	{largeString, 224, 1000, 3, 22_358_480_640, 87_580_820},
	{"7,2,4|3,1,2|4,2,2|4,1,5|32", 32, 941, 1, 4_605_696, 2_090_061},
	{"7,8,3|3,4,6|2,2,6|3,1,3|64", 224, 54, 3, 235_706_368, 1_434_102},
	{"7,8,6,3|3,4,5,3|4,1,3,3|3,1,2,2|32,20", 96, 408, 3, 38_657_280, 968_428},
	{"5,2,6,1|3,2,5,1|2,2,6,3|2,1,5,1|64,64", 224, 516, 3, 1_678_011_392, 8_398_788},
	{"4,4,6,3|3,2,4,3|2,1,6,1|4,1,4,1|64,16", 96, 549, 1, 22_071_680, 550_245},
	{"5,2,6,2|4,4,4,1|3,2,3,3|2,1,5,1|64,9", 64, 334, 1, 2_697_600, 166_150},
	{"4,8,6,1|4,4,3,1|4,1,2,3|2,1,6,2|16,9", 224, 709, 3, 37_736_200, 280_714},
	{"8,8,4|4,4,6|3,2,6|2,1,5|64", 32, 706, 3, 5_401_600, 1_759_106},
}

func TestCountsMatchAuthors(t *testing.T) {
	for _, c := range authorsFigures {
		top, err := Parse(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		s := NewSpec(top, c.image, c.classes)
		s.Channels = c.channels
		m := mustNew(t, s)
		if got := m.Params(); got != c.params {
			t.Errorf("%s at %d px: %d parameters, want %d", c.arch, c.image, got, c.params)
		}
		if got := m.MACs(); got != c.macs {
			t.Errorf("%s at %d px: %d MACs, want %d", c.arch, c.image, got, c.macs)
		}
		if m.FLOPs() != 2*m.MACs() {
			t.Errorf("FLOPs %d, want 2·MACs", m.FLOPs())
		}
	}
}

// The check figures of the specification, to the digits it gives.
func TestCheckFigures(t *testing.T) {
	seed := mustNew(t, NewSpec(seedTopology, 224, 1000))
	if got := seed.Params(); got != 2_319_624 {
		t.Errorf("seed: %d parameters, want 2,319,624", got)
	}
	if g := seed.MACs() / 1_000_000; g != 491 { // "0.491 G": 491.6 M, the spec truncates
		t.Errorf("seed: %d MACs, want 0.491 G", seed.MACs())
	}
	if m := mustNew(t, NewSpec(largeTopology, 224, 1000)).MACs(); math.Round(float64(m)/1e8) != 224 { // "22.4 G"
		t.Errorf("As-ViT Large: %d MACs, want 22.4 G", m)
	}
}

// The seed's parts, computed by hand from its geometry (56, 28, 14, 7 tokens
// per side; windows of 28, 28, 14, 7).
func TestCostsBreakdown(t *testing.T) {
	got := mustNew(t, NewSpec(seedTopology, 224, 1000)).Costs()
	want := Costs{
		Stages: [4]StageCost{
			{
				Embed:     Cost{3*32*64 + 32 + 2*32, 3136 * 32 * (3*64 + 1)},
				Attention: Cost{2*32 + 32*96 + 96 + 32*32 + 32, 3136*32*96 + 2*3136*784*32 + 3136*32*32},
				FFN:       Cost{2*32 + 32*96 + 96 + 96*32 + 32, 2 * 3136 * 32 * 96},
			},
			{
				Embed:     Cost{2*16*32 + 16*32*64, 784 * 16 * 32 * 64},
				Attention: Cost{2*64 + 64*192 + 192 + 64*64 + 64, 784*64*192 + 2*784*784*64 + 784*64*64},
				FFN:       Cost{2*64 + 64*128 + 128 + 128*64 + 64, 2 * 784 * 64 * 128},
			},
			{
				Embed:     Cost{2*16*64 + 16*64*128, 196 * 16 * 64 * 128},
				Attention: Cost{2*128 + 128*384 + 384 + 128*128 + 128, 196*128*384 + 2*196*196*128 + 196*128*128},
				FFN:       Cost{2*128 + 128*512 + 512 + 512*128 + 128, 2 * 196 * 128 * 512},
			},
			{
				Embed:     Cost{2*16*128 + 16*128*256, 49 * 16 * 128 * 256},
				Attention: Cost{2*256 + 256*768 + 768 + 256*256 + 256, 49*256*768 + 2*49*49*256 + 49*256*256},
				FFN:       Cost{2*256 + 256*1536 + 1536 + 1536*256 + 256, 2 * 49 * 256 * 1536},
			},
		},
		Head: Cost{2*256 + 256*256 + 256 + 256*1000 + 1000, 2*256*50 + 256*256 + 256*1000},
	}
	if got != want {
		t.Errorf("seed costs\n got %+v\nwant %+v", got, want)
	}
	if tot := got.Total(); tot.Params != 2_319_624 || tot.MACs != 491_595_264 {
		t.Errorf("total %+v", tot)
	}
}

func BenchmarkCosts(b *testing.B) {
	m := mustNew(b, NewSpec(largeTopology, 224, 1000))
	for b.Loop() {
		_ = m.Costs()
	}
}
