package complexity

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestConditionNumber(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name       string
		theta      []float64
		kappa      float64
		lmin, lmax float64
	}{
		{"identity", []float64{1, 0, 0, 1}, 1, 1, 1},
		{"diagonal", []float64{4, 0, 0, 0.5}, 8, 0.5, 4},
		// [[2,1],[1,2]] has eigenvalues 1 and 3.
		{"coupled", []float64{2, 1, 1, 2}, 3, 1, 3},
		// Rounding may leave Θ slightly asymmetric: (Θ+Θᵀ)/2 is used.
		{"asymmetric", []float64{2, 0.5, 1.5, 2}, 3, 1, 3},
		// [[1,2],[2,1]] has eigenvalues −1 and 3: impossible for G·Gᵀ, so
		// a rounded singular Θ, whose κ is infinite.
		{"negative eigenvalue", []float64{1, 2, 2, 1}, inf, -1, 3},
		{"zero", []float64{0, 0, 0, 0}, inf, 0, 0},
		{"nan", []float64{1, nan, nan, 1}, nan, nan, nan},
		{"inf", []float64{inf, 0, 0, 1}, nan, nan, nan},
	} {
		k, lmin, lmax := conditionNumber(c.theta, 2)
		same := func(a, b float64) bool {
			return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) <= 1e-12*math.Abs(b) || a == b
		}
		if !same(k, c.kappa) || !same(lmin, c.lmin) || !same(lmax, c.lmax) {
			t.Errorf("%s: κ, λmin, λmax = %v, %v, %v; want %v, %v, %v", c.name, k, lmin, lmax, c.kappa, c.lmin, c.lmax)
		}
		if bad(k) != (math.IsNaN(c.kappa) || math.IsInf(c.kappa, 0)) {
			t.Errorf("%s: bad(%v) = %v", c.name, k, bad(k))
		}
	}
}

// For Θ = G·Gᵀ with random G, κ ≥ 1 and equals the ratio of the extreme
// squared singular values of G, found here by power iteration on Θ and on
// λmax·I − Θ, independently of Gonum.
func TestConditionNumberOfRandomGram(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const b, p = 5, 40
	g := make([]float64, b*p)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	theta := make([]float64, b*b)
	for i := range b {
		for j := range b {
			theta[i*b+j] = dot(g[i*p:(i+1)*p], g[j*p:(j+1)*p])
		}
	}
	k, lmin, lmax := conditionNumber(theta, b)
	top := powerIteration(theta, b, 0)
	bottom := top - powerIteration(theta, b, top)
	// Power iteration converges geometrically; 2000 steps reach ~1e-12 here.
	if relErr(lmax, top) > 1e-9 || relErr(lmin, bottom) > 1e-9 || relErr(k, top/bottom) > 1e-9 || k < 1 {
		t.Errorf("κ, λmin, λmax = %v, %v, %v; power iteration gives %v, %v, %v", k, lmin, lmax, top/bottom, bottom, top)
	}
}

// powerIteration returns the largest eigenvalue of shift·I − Θ (of Θ when
// shift is 0).
func powerIteration(theta []float64, b int, shift float64) float64 {
	v := make([]float64, b)
	for i := range v {
		v[i] = 1 / float64(i+1)
	}
	var lambda float64
	for range 2000 {
		w := make([]float64, b)
		for i := range b {
			w[i] = dot(theta[i*b:(i+1)*b], v)
			if shift != 0 {
				w[i] = shift*v[i] - w[i]
			}
		}
		lambda = dot(v, w) / dot(v, v)
		n := math.Sqrt(dot(w, w))
		for i := range w {
			v[i] = w[i] / n
		}
	}
	return lambda
}

func TestCurveLength(t *testing.T) {
	// Rows (3,4) and (0,0) and (1,0): speeds 5, 0 and 1, summed.
	if got := curveLength([]float64{3, 4, 0, 0, 1, 0}, 3); got != 6 {
		t.Errorf("curveLength = %v, want 6", got)
	}
}
