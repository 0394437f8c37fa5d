package scale

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// growWidths returns the hidden sizes the ratios give, with the ratio that
// gives each: round(hidden·(1+r)), rounding half to even as Python's round
// does. A ratio whose width equals the previous kept one is skipped, as in
// the authors' code (at hidden 8, 15% gives 9 like 10% does).
func growWidths(hidden int, ratios []float64) (widths []int, used []float64) {
	for _, r := range ratios {
		w := int(math.RoundToEven(float64(hidden) * (1 + r)))
		if len(widths) > 0 && w == widths[len(widths)-1] {
			continue
		}
		widths = append(widths, w)
		used = append(used, r)
	}
	return widths, used
}

// Candidate is one way to grow the current model: one more block in Stage
// and the hidden size grown by Ratio.
type Candidate struct {
	Stage     int                `json:"stage"` // 1..4, the stage that gets a block
	Ratio     float64            `json:"ratio"`
	Hidden    int                `json:"hidden"` // of the measured model
	Depths    [vit.NumStages]int `json:"depths"`
	Params    int64              `json:"params"` // of the built model (WidthFactor × hidden)
	MACs      int64              `json:"macs"`
	OverLimit bool               `json:"over_limit,omitempty"` // dropped: Params > LimitParams
	Measure   *trainfree.Measure `json:"measure,omitempty"`    // of the measured model; nil when dropped
	Ranks     *Ranks             `json:"ranks,omitempty"`      // nil when dropped
}

// Ranks places a candidate among the step's measured ones: 1 is best, equal
// values share a rank and the next value takes the next rank.
type Ranks struct {
	NTKCond          int `json:"ntk_cond"`          // by κ ascending
	LengthDistortion int `json:"length_distortion"` // by L^E descending
	Sum              int `json:"sum"`
}

// candidates lists the ways to grow cur (the measured model), stage by
// stage and, within a stage, ratio by ratio, as the authors order them.
// Each carries the cost of its built model and is marked when over the
// limit.
func (c Config) candidates(cur vit.Topology) ([]Candidate, error) {
	widths, ratios := growWidths(cur.Hidden, c.Ratios)
	var out []Candidate
	for stage := range vit.NumStages {
		for k, w := range widths {
			t := cur
			t.Hidden = w
			t.Stages[stage].Depth++
			cost, err := c.cost(t)
			if err != nil {
				return nil, fmt.Errorf("candidate stage %d, width %d: %w", stage+1, w, err)
			}
			out = append(out, Candidate{Stage: stage + 1, Ratio: ratios[k], Hidden: w, Depths: depths(t),
				Params: cost.Params, MACs: cost.MACs, OverLimit: cost.Params > c.LimitParams})
		}
	}
	return out, nil
}

// topology returns the measured model of a candidate grown from cur.
func (cand Candidate) topology(cur vit.Topology) vit.Topology {
	t := cur
	t.Hidden = cand.Hidden
	for i, d := range cand.Depths {
		t.Stages[i].Depth = d
	}
	return t
}

// widen returns the built model of measured model t.
func (c Config) widen(t vit.Topology) vit.Topology {
	t.Hidden *= c.WidthFactor
	return t
}

// cost counts the parameters and MACs of measured model t's built model.
func (c Config) cost(t vit.Topology) (vit.Cost, error) {
	m, err := vit.New(vit.NewSpec(c.widen(t), c.Image, c.Classes))
	if err != nil {
		return vit.Cost{}, err
	}
	return m.Costs().Total(), nil
}

func depths(t vit.Topology) [vit.NumStages]int {
	var d [vit.NumStages]int
	for i, s := range t.Stages {
		d[i] = s.Depth
	}
	return d
}
