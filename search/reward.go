package search

import (
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/asvit/asvit/trainfree"
)

// rangeEps keeps the relative change finite when a window holds one value.
const rangeEps = 1e-6

// rewardHistory holds the κ and L^E of every step so far and turns each new
// Measure into a reward (§4 of the spec).
//
// The change of a series at step t is (v_t - v_{t-1}) / (max W - min W +
// 1e-6), where W is the last Window values up to and including v_t; the
// reward is -change(κ) + change(L^E), and 0 at the first step.
//
// Bad networks (Measure.Bad, or κ not finite) enter with κ equal to the
// largest κ in the history, which is always the largest good κ. When a good
// κ later exceeds it, every earlier bad entry is raised to that κ before the
// step's change is taken. Changes are never stored: each step's change is
// computed from the history as it then stands. So a raise affects the
// current step (its previous value and window) and every later window, while
// rewards already used for policy updates stay as they were. The authors'
// code also rewrites its stored changes at and after each bad entry, but
// only ever reads the latest change, so that rewrite has no effect there
// either. As long as no good κ has been seen, bad entries hold a placeholder
// 0: all entries are then equal, so every κ change is 0 whatever the
// placeholder, and the first good κ raises them all.
//
// A non-finite L^E (not covered by the spec) enters as the smallest, that is
// worst, L^E in the history, or 0 at the first step; it is never revised.
type rewardHistory struct {
	Window int       `json:"window"`
	Kappa  []float64 `json:"ntk_cond"`
	Bad    []bool    `json:"bad"`
	LE     []float64 `json:"length_distortion"`
}

// push appends m and returns the step's reward.
func (h *rewardHistory) push(m trainfree.Measure) float64 {
	k, bad := m.NTKCond, m.Bad || !finite(m.NTKCond)
	top, haveGood := h.maxGood()
	switch {
	case bad && haveGood:
		k = top
	case bad:
		k = 0 // placeholder until the first good κ
	case !haveGood || k > top:
		h.raiseBad(k)
	}
	le := m.LengthDistortion
	if !finite(le) {
		le = 0
		if len(h.LE) > 0 {
			le = floats.Min(h.LE)
		}
	}
	h.Kappa = append(h.Kappa, k)
	h.Bad = append(h.Bad, bad)
	h.LE = append(h.LE, le)
	if len(h.Kappa) == 1 {
		return 0
	}
	return -h.change(h.Kappa) + h.change(h.LE)
}

// maxGood returns the largest κ of a good entry, or false when there is none.
func (h *rewardHistory) maxGood() (float64, bool) {
	top, ok := math.Inf(-1), false
	for i, k := range h.Kappa {
		if !h.Bad[i] {
			top, ok = max(top, k), true
		}
	}
	return top, ok
}

func (h *rewardHistory) raiseBad(k float64) {
	for i, bad := range h.Bad {
		if bad {
			h.Kappa[i] = k
		}
	}
}

// change returns the relative change of the last value of v (len(v) ≥ 2).
func (h *rewardHistory) change(v []float64) float64 {
	n := len(v)
	w := v[max(0, n-h.Window):]
	return (v[n-1] - v[n-2]) / (floats.Max(w) - floats.Min(w) + rangeEps)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
