package search

import "math"

// Adam's constants, as torch.optim.Adam's defaults.
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// adam is torch.optim.Adam without weight decay or amsgrad, in float64.
type adam struct {
	T int         `json:"t"` // steps taken
	M [][]float64 `json:"m"` // first moments
	V [][]float64 `json:"v"` // second moments
}

func newAdam(shape [][]float64) adam {
	o := adam{M: make([][]float64, len(shape)), V: make([][]float64, len(shape))}
	for j, s := range shape {
		o.M[j] = make([]float64, len(s))
		o.V[j] = make([]float64, len(s))
	}
	return o
}

// step moves params against grad, in torch's order of operations:
// θ -= (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + ε).
func (o *adam) step(lr float64, params, grad [][]float64) {
	o.T++
	bc1 := 1 - math.Pow(adamBeta1, float64(o.T))
	bc2 := math.Sqrt(1 - math.Pow(adamBeta2, float64(o.T)))
	for j, g := range grad {
		m, v, p := o.M[j], o.V[j], params[j]
		for i, gi := range g {
			m[i] = adamBeta1*m[i] + (1-adamBeta1)*gi
			v[i] = adamBeta2*v[i] + (1-adamBeta2)*gi*gi
			p[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/bc2 + adamEps)
		}
	}
}

// ema is an exponential moving average with bias correction, kept as a
// numerator and a denominator as in the authors' code.
type ema struct {
	Num float64 `json:"num"`
	Den float64 `json:"den"`
}

func (e *ema) update(v, momentum float64) {
	e.Num = momentum*e.Num + (1-momentum)*v
	e.Den = momentum*e.Den + (1 - momentum)
}

// value is the average so far; call update first.
func (e ema) value() float64 { return e.Num / e.Den }
