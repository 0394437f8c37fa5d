package train

import (
	"math"
	"testing"

	"github.com/asvit/asvit/vit"
)

// TestAccountingByHand checks the FLOP accounting of a two-phase run of
// tinyArch at 64 px against multiply-accumulates counted by hand with the
// authors' rules (conv out·(in·K²+1), linear out·in, attention 2·T·N·d,
// head means 2·nf·(T+1)). Per stage, with T tokens, N tokens per window
// and width d (E = 2, inner = d), a block costs T·8d² + 2·T·N·d and the
// re-embedding into width d' costs T'·4·d·d'.
//
//	stride 4: T = 256, 64, 16, 4; N = 64, 64, 16, 4
//	  conv 256·4·17 = 17408, blocks 163840 + 98304 + 40960 + 33792,
//	  re-embeddings 3·8192, head 320 + 1024 + 64: 380288
//	stride 8: T = 64, 16, 4, 1; N = 16, 16, 4, 1
//	  conv 64·4·17 = 4352, blocks 16384 + 12288 + 8704 + 8256,
//	  re-embeddings 3·2048, head 128 + 1024 + 64: 57344
func TestAccountingByHand(t *testing.T) {
	const full, coarse = 380288, 57344
	fine := newModel(t, tinyArch, 64, 1, 2, 4)
	rough := newModel(t, tinyArch, 64, 1, 2, 8)
	if fine.MACs() != full || rough.MACs() != coarse {
		t.Fatalf("model MACs %d and %d, counted by hand %d and %d", fine.MACs(), rough.MACs(), full, coarse)
	}
	c := Accounting(fine, []vit.Model{rough, fine}, []int{3, 1}, 100)
	want := []PhaseCost{
		{Stride: 8, Dilation: 1, FirstEpoch: 0, Epochs: 3, Images: 300, MACsPerImage: coarse, TrainFLOPs: 6 * coarse * 300},
		{Stride: 4, Dilation: 1, FirstEpoch: 3, Epochs: 1, Images: 100, MACsPerImage: full, TrainFLOPs: 6 * full * 100},
	}
	for i := range want {
		if c.Phases[i] != want[i] {
			t.Errorf("phase %d: %+v, want %+v", i+1, c.Phases[i], want[i])
		}
	}
	if c.TrainFLOPs != 6*coarse*300+6*full*100 || c.FullFLOPs != 6*full*400 {
		t.Errorf("train %g, full %g FLOPs; want %d and %d", c.TrainFLOPs, c.FullFLOPs, 6*coarse*300+6*full*100, 6*full*400)
	}
	// 1 - (3·57344 + 380288)/(4·380288) = 0.6369...; the float division rounds.
	if want := 1 - float64(3*coarse+full)/float64(4*full); math.Abs(c.Saved-want) > 1e-15 {
		t.Errorf("saved %.17g, want %.17g", c.Saved, want)
	}
}

// TestAccountingFullResolutionSavesNothing: one phase at the model's own
// tokenizer costs exactly the full-resolution FLOPs.
func TestAccountingFullResolutionSavesNothing(t *testing.T) {
	m := newModel(t, seedArch, 224, 3, 1000, 4)
	c := Accounting(m, []vit.Model{m}, []int{300}, 1_281_167)
	// 6 × 491,595,264 MACs (the spec's check figure) × 300 × 1,281,167 images
	// ≈ 1.13e21, far beyond int64: the float64 total is exact to 1e-16.
	want := 6 * 491595264.0 * 300 * 1281167
	if c.Saved != 0 || math.Abs(c.TrainFLOPs-want) > 1e-15*want {
		t.Errorf("saved %g, train FLOPs %g; want 0 and %g", c.Saved, c.TrainFLOPs, want)
	}
}
