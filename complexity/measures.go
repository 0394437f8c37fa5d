package complexity

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// conditionNumber returns κ = λmax/λmin of the symmetric b×b matrix theta
// (row-major; symmetrised as (Θ+Θᵀ)/2 against rounding) with its extreme
// eigenvalues, computed in float64.
//
// Θ = G·Gᵀ is positive semi-definite, so λmin ≤ 0 can only mean a singular
// Θ blurred by rounding: its condition number is infinite and κ is +Inf. A
// non-finite entry, or an eigendecomposition that fails, gives NaN. Either
// marks the network as bad (see bad).
func conditionNumber(theta []float64, b int) (kappa, lmin, lmax float64) {
	sym := mat.NewSymDense(b, nil)
	for i := range b {
		for j := i; j < b; j++ {
			v := (theta[i*b+j] + theta[j*b+i]) / 2
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return math.NaN(), math.NaN(), math.NaN()
			}
			sym.SetSym(i, j, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	vals := eig.Values(nil) // ascending
	lmin, lmax = vals[0], vals[b-1]
	if lmin <= 0 {
		return math.Inf(1), lmin, lmax
	}
	return lmax / lmin, lmin, lmax
}

// bad reports whether κ marks a bad network: NaN or infinite.
func bad(kappa float64) bool { return math.IsNaN(kappa) || math.IsInf(kappa, 0) }

// curveLength returns Σ_k ‖J_k‖₂ over the n rows of j (n×nf, row-major):
// the length of the feature curve sampled at the n points, summed rather
// than averaged, as the authors do.
func curveLength(j []float64, n int) float64 {
	nf := len(j) / n
	var sum float64
	for k := range n {
		sum += math.Sqrt(dot(j[k*nf:(k+1)*nf], j[k*nf:(k+1)*nf]))
	}
	return sum
}
