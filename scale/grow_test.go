package scale

import (
	"slices"
	"testing"

	"github.com/asvit/asvit/vit"
)

func TestGrowWidths(t *testing.T) {
	ratios := []float64{0.05, 0.1, 0.15, 0.2}
	// Expected widths from Python 3: round(h*(1+r)), skipping repeats.
	cases := []struct {
		hidden int
		widths []int
		ratios []float64
	}{
		{8, []int{8, 9, 10}, []float64{0.05, 0.1, 0.2}},              // 8.4 → 8, 9.2 → 9 repeats 8.8 → 9
		{10, []int{10, 11, 12}, []float64{0.05, 0.1, 0.15}},          // 10.5 → 10, 11.5 → 12, 12 repeats
		{30, []int{32, 33, 34, 36}, []float64{0.05, 0.1, 0.15, 0.2}}, // 31.5 → 32, 34.5 → 34
		{45, []int{47, 50, 52, 54}, ratios},
		{50, []int{52, 55, 57, 60}, ratios}, // 52.5 → 52; 50·1.15 is 57.49999999999999
		{100, []int{105, 110, 115, 120}, ratios},
	}
	for _, c := range cases {
		w, r := growWidths(c.hidden, ratios)
		if !slices.Equal(w, c.widths) || !slices.Equal(r, c.ratios) {
			t.Errorf("hidden %d: widths %v with ratios %v, want %v with %v", c.hidden, w, r, c.widths, c.ratios)
		}
	}
}

func TestCandidatesAtStart(t *testing.T) {
	c := DefaultConfig()
	c.Dir = t.TempDir()
	start, err := c.start()
	if err != nil {
		t.Fatal(err)
	}
	cands, err := c.candidates(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 12 {
		t.Fatalf("%d candidates, want 4 stages × 3 widths", len(cands))
	}
	for i, cand := range cands {
		stage, w := i/3+1, []int{8, 9, 10}[i%3]
		wantDepths := [vit.NumStages]int{1, 1, 1, 1}
		wantDepths[stage-1] = 2
		if cand.Stage != stage || cand.Hidden != w || cand.Depths != wantDepths || cand.OverLimit {
			t.Errorf("candidate %d: %+v, want stage %d, hidden %d, depths %v", i, cand, stage, w, wantDepths)
		}
	}
	// The seed at C = 32 has 2,319,624 parameters (spec §2). One more stage-1
	// block at width 32 with E1 = 3 and 4 heads of 8 adds norm1 64, qkv
	// 32·96+96, proj 32·32+32, FFN norm 64, fc1 32·96+96, fc2 96·32+32.
	block := int64(64 + 32*96 + 96 + 32*32 + 32 + 64 + 32*96 + 96 + 96*32 + 32)
	if got := cands[0].Params; got != 2_319_624+block {
		t.Errorf("stage 1 block at hidden 8: %d parameters at 4× width, want %d", got, 2_319_624+block)
	}
	c.LimitParams, c.StopParams = cands[1].Params, cands[1].Params
	cands, _ = c.candidates(start)
	if cands[1].OverLimit || !cands[2].OverLimit {
		t.Errorf("limit %d: over-limit marks %v, %v; want only the larger dropped", c.LimitParams, cands[1].OverLimit, cands[2].OverLimit)
	}
}
