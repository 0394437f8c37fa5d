package search

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/asvit/asvit/vit"
)

// initStd is the standard deviation of the initial logits.
const initStd = 1e-3

// policy is one independent categorical per choice of vit.Choices(), each
// with its own logits. S4, fixed to 1, is a one-value categorical whose log
// probability and entropy are 0, so it is left out without changing
// anything.
type policy struct {
	Logits [][]float64 `json:"logits"`
}

// newPolicy draws the logits as initStd·N(0,1), choice by choice.
func newPolicy(rng *rand.Rand) policy {
	p := policy{Logits: make([][]float64, vit.NumChoices)}
	for j, c := range vit.Choices() {
		p.Logits[j] = make([]float64, len(c.Values))
		for i := range p.Logits[j] {
			p.Logits[j][i] = initStd * rng.NormFloat64()
		}
	}
	return p
}

// logProbs returns log softmax of choice j's logits, freshly allocated.
func (p policy) logProbs(j int) []float64 {
	l := p.Logits[j]
	lse := floats.LogSumExp(l)
	out := make([]float64, len(l))
	for i, v := range l {
		out[i] = v - lse
	}
	return out
}

func (p policy) probs(j int) []float64 {
	out := p.logProbs(j)
	for i, v := range out {
		out[i] = math.Exp(v)
	}
	return out
}

// sample draws one index per choice, each from one uniform variate.
func (p policy) sample(rng *rand.Rand) [vit.NumChoices]int {
	var a [vit.NumChoices]int
	for j := range p.Logits {
		pr := p.probs(j)
		u, acc := rng.Float64(), 0.0
		a[j] = len(pr) - 1 // reached only when rounding leaves the sum below u
		for i, q := range pr {
			acc += q
			if u < acc {
				a[j] = i
				break
			}
		}
	}
	return a
}

// logProb returns log π(a), the sum over choices.
func (p policy) logProb(a [vit.NumChoices]int) float64 {
	s := 0.0
	for j := range p.Logits {
		s += p.logProbs(j)[a[j]]
	}
	return s
}

// gradLogProb returns ∂ log π(a) / ∂ logits: onehot(a_j) - softmax(logits_j)
// for each choice j.
func (p policy) gradLogProb(a [vit.NumChoices]int) [][]float64 {
	g := make([][]float64, len(p.Logits))
	for j := range p.Logits {
		g[j] = p.probs(j)
		floats.Scale(-1, g[j])
		g[j][a[j]]++
	}
	return g
}

// entropy returns the sum over choices of -Σ p log p, in nats.
func (p policy) entropy() float64 {
	h := 0.0
	for j := range p.Logits {
		for _, lp := range p.logProbs(j) {
			h -= math.Exp(lp) * lp
		}
	}
	return h
}

// argmax returns the most probable index of each choice, the first on ties.
func (p policy) argmax() [vit.NumChoices]int {
	var a [vit.NumChoices]int
	for j, l := range p.Logits {
		a[j] = floats.MaxIdx(l)
	}
	return a
}
