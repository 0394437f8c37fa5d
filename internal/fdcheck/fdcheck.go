package fdcheck

import (
	"math"
	"math/rand/v2"
)

// UnitDirection draws a standard-normal direction shaped like grads (one
// slice per parameter tensor), scales it to unit norm, and returns it with
// ⟨grads, direction⟩, the derivative that a central difference along it
// should reproduce.
func UnitDirection(r *rand.Rand, grads [][]float64) (dir [][]float64, dot float64) {
	dir = make([][]float64, len(grads))
	norm := 0.0
	for k, g := range grads {
		dir[k] = make([]float64, len(g))
		for i := range g {
			dir[k][i] = r.NormFloat64()
			norm += dir[k][i] * dir[k][i]
		}
	}
	norm = math.Sqrt(norm)
	for k, g := range grads {
		for i := range g {
			dir[k][i] /= norm
			dot += dir[k][i] * g[i]
		}
	}
	return dir, dot
}
