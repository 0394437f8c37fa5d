package fdcheck

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestUnitDirection(t *testing.T) {
	grads := [][]float64{{1, 2}, {3}}
	dir, dot := UnitDirection(rand.New(rand.NewPCG(1, 2)), grads)
	norm, want := 0.0, 0.0
	for k, g := range grads {
		for i := range g {
			norm += dir[k][i] * dir[k][i]
			want += dir[k][i] * g[i]
		}
	}
	if math.Abs(norm-1) > 1e-12 || math.Abs(dot-want) > 1e-12 {
		t.Errorf("norm² %v, dot %v against %v", norm, dot, want)
	}
}
