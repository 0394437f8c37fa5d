package proxies

import (
	"math/bits"

	"gonum.org/v1/gonum/mat"
)

// codes are the binary activation codes of a batch: bit u of sample n is 1
// when unit u's pre-activation is positive.
type codes struct {
	n, units int
	words    [][]uint64 // per sample, units bits
}

// newCodes reads the codes of n samples from pre-activation tensors whose
// dimension 0 is the sample; every unit of every tensor is one bit.
func newCodes(n int, tensors [][]float32) codes {
	c := codes{n: n, words: make([][]uint64, n)}
	for _, t := range tensors {
		c.units += len(t) / n
	}
	for s := range n {
		c.words[s] = make([]uint64, (c.units+63)/64)
		u := 0
		for _, t := range tensors {
			per := len(t) / n
			for _, x := range t[s*per : (s+1)*per] {
				if x > 0 {
					c.words[s][u/64] |= 1 << (u % 64)
				}
				u++
			}
		}
	}
	return c
}

// kernel returns K_H, the n×n matrix of the number of units on which two
// samples' codes agree: c·cᵀ + (1−c)·(1−c)ᵀ.
func (c codes) kernel() *mat.SymDense {
	k := mat.NewSymDense(c.n, nil)
	for i := range c.n {
		for j := i; j < c.n; j++ {
			differ := 0
			for w, x := range c.words[i] {
				differ += bits.OnesCount64(x ^ c.words[j][w])
			}
			k.SetSym(i, j, float64(c.units-differ))
		}
	}
	return k
}

// logAbsDet returns log|det a| from an LU factorisation in float64, as
// numpy's slogdet: −Inf when a is singular.
func logAbsDet(a mat.Matrix) float64 {
	logDet, _ := mat.LogDet(a)
	return logDet
}
