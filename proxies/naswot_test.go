package proxies

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Three Hadamard rows as codes agree pairwise on 2 of 4 units, so
// K_H = [[4 2 2] [2 4 2] [2 2 4]] with determinant 32. The units are split
// over two tensors, and zero counts as off.
func TestNASWOTHadamardCodes(t *testing.T) {
	a := []float32{ // 3 samples × 3 units
		0.5, -1, 2, // 1 0 1
		3, 0.1, 0, //  1 1 0
		1, -2, -0.5, // 1 0 0
	}
	b := []float32{-1, -3, 4} // 3 samples × 1 unit: 0 0 1
	c := newCodes(3, [][]float32{a, b})
	if c.units != 4 {
		t.Fatalf("%d units, want 4", c.units)
	}
	k := c.kernel()
	want := mat.NewSymDense(3, []float64{4, 2, 2, 2, 4, 2, 2, 2, 4})
	if !mat.Equal(k, want) {
		t.Errorf("K_H = %v, want %v", mat.Formatted(k), mat.Formatted(want))
	}
	if got := logAbsDet(k); math.Abs(got-math.Log(32)) > 1e-12 {
		t.Errorf("log|det K_H| = %.15g, want log 32 = %.15g", got, math.Log(32))
	}
}

// Two samples with the same code make K_H singular: −Inf, as slogdet.
func TestNASWOTDuplicateCodes(t *testing.T) {
	x := []float32{1, -1, 2, 1, -3, 5, -1, 1, 1}
	if got := logAbsDet(newCodes(3, [][]float32{x}).kernel()); !math.IsInf(got, -1) {
		t.Errorf("log|det K_H| = %g for samples 0 and 1 alike, want −Inf", got)
	}
}

// Codes longer than a machine word give the same K_H as the 0/1 matrix
// product, and the same log-determinant as a Cholesky factorisation.
func TestNASWOTKernelMatchesProduct(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const n = 7
	tensors := [][]float32{make([]float32, n*150), make([]float32, n*61)}
	for _, x := range tensors {
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
	}
	want := codeKernel(n, codeRows(n, [][]float64{widen(tensors[0]), widen(tensors[1])}))
	got := newCodes(n, tensors).kernel()
	if !mat.Equal(got, want) {
		t.Fatalf("K_H = %v, want %v", mat.Formatted(got), mat.Formatted(want))
	}
	if d, w := logAbsDet(got), choleskyLogDet(t, want); math.Abs(d-w) > 1e-10*math.Abs(w) {
		t.Errorf("log|det K_H| = %.15g, Cholesky gives %.15g", d, w)
	}
}
