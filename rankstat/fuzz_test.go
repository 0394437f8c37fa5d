package rankstat

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// maxFuzzPairs bounds the sample a fuzz input decodes to.
const maxFuzzPairs = 256

// valuesFromBytes reads one value from every byte, as a small signed
// integer so that ties are common.
func valuesFromBytes(data []byte) []float64 {
	values := make([]float64, min(len(data), maxFuzzPairs))
	for i := range values {
		values[i] = float64(int8(data[i]))
	}
	return values
}

// pairsFromBytes reads x from the even bytes and y from the odd ones.
func pairsFromBytes(data []byte) (x, y []float64) {
	n := min(len(data)/2, maxFuzzPairs)
	x, y = make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], y[i] = float64(int8(data[2*i])), float64(int8(data[2*i+1]))
	}
	return x, y
}

func addCorrelationSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2})
	f.Add([]byte{1, 2, 3, 4})
	f.Add([]byte{1, 9, 2, 8, 3, 7, 4, 6})
	f.Add([]byte{5, 1, 5, 2, 5, 3})               // x constant
	f.Add([]byte{1, 1, 1, 1, 2, 2, 3, 2, 3, 3})   // ties in both, a joint tie
	f.Add([]byte{12, 1, 2, 4, 1, 7, 12, 1, 2, 0}) // SciPy's docstring sample
	f.Add([]byte{0, 255, 128, 127, 1, 0, 200, 100, 50, 150, 3, 3})
}

func mapValues(values []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = f(v)
	}
	return out
}

func isConstant(values []float64) bool {
	for _, v := range values {
		if v != values[0] {
			return false
		}
	}
	return true
}

func sameValue(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b)
}

// checkCorrelationProperties checks the properties every rank correlation
// has: defined (and in [-1, 1]) exactly when neither variable is constant,
// symmetric, unchanged by strictly increasing transforms, and negated when
// one variable is. All of them hold exactly, since the ranks do.
func checkCorrelationProperties(t *testing.T, name string, f func(x, y []float64) (float64, error), x, y []float64) float64 {
	t.Helper()
	r, err := f(x, y)
	if len(x) < 2 {
		if err == nil {
			t.Fatalf("%s of %d pairs: no error", name, len(x))
		}
		return r
	}
	if err != nil {
		t.Fatalf("%s(%v, %v): %v", name, x, y, err)
	}
	if isConstant(x) || isConstant(y) {
		if !math.IsNaN(r) {
			t.Fatalf("%s(%v, %v) = %v with a constant variable, want NaN", name, x, y, r)
		}
	} else if !(r >= -1 && r <= 1) {
		t.Fatalf("%s(%v, %v) = %v, outside [-1, 1]", name, x, y, r)
	}
	check := func(what string, got float64, want float64) {
		t.Helper()
		if !sameValue(got, want) {
			t.Fatalf("%s(%v, %v) = %v but %s gives %v", name, x, y, r, what, got)
		}
	}
	swapped, _ := f(y, x)
	check("swapping x and y", swapped, r)
	expX := mapValues(x, func(v float64) float64 { return math.Exp(v / 16) })
	cubicY := mapValues(y, func(v float64) float64 { return v*v*v + v })
	transformed, _ := f(expX, cubicY)
	check("exp(x/16), y³+y", transformed, r)
	negX := mapValues(x, func(v float64) float64 { return -v })
	negY := mapValues(y, func(v float64) float64 { return -v })
	negatedX, _ := f(negX, y)
	check("-x", negatedX, -r)
	negatedY, _ := f(x, negY)
	check("-y", negatedY, -r)
	negatedBoth, _ := f(negX, negY)
	check("-x, -y", negatedBoth, r)
	return r
}

func FuzzKendallTauB(f *testing.F) {
	addCorrelationSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := pairsFromBytes(data)
		tau := checkCorrelationProperties(t, "KendallTauB", KendallTauB, x, y)
		if len(x) < 2 {
			return
		}
		if want := kendallTauBByDefinition(x, y); !sameValue(tau, want) && !(math.Abs(tau-want) <= 1e-12) {
			t.Fatalf("KendallTauB(%v, %v) = %v; definition gives %v", x, y, tau, want)
		}
	})
}

func FuzzSpearman(f *testing.F) {
	addCorrelationSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := pairsFromBytes(data)
		rho := checkCorrelationProperties(t, "Spearman", Spearman, x, y)
		if len(x) < 2 || math.IsNaN(rho) {
			return
		}
		if want := stat.Correlation(Ranks(x), Ranks(y), nil); !(math.Abs(rho-want) <= 1e-12) {
			t.Fatalf("Spearman(%v, %v) = %v; Pearson of ranks gives %v", x, y, rho, want)
		}
	})
}
