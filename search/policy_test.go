package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/asvit/asvit/vit"
)

func randomPolicy(seed uint64, scale float64) policy {
	r := rand.New(rand.NewPCG(seed, 1))
	p := newPolicy(r)
	for _, l := range p.Logits {
		for i := range l {
			l[i] = scale * r.NormFloat64()
		}
	}
	return p
}

func TestInitialEntropy(t *testing.T) {
	want := 5*math.Log(5) + 6*math.Log(3) + math.Log(2) // 15.33: K1, E1..E4; K2..K4, S1, S2, H; S3
	for seed := range uint64(5) {
		p := newPolicy(rand.New(rand.NewPCG(seed, pcgStream)))
		got := p.entropy()
		// Logits of size 1e-3 lower the entropy by about half their variance, ~1e-6.
		if got > want || want-got > 1e-4 {
			t.Errorf("seed %d: initial entropy %.8f, want just below %.8f", seed, got, want)
		}
	}
	if math.Abs(want-15.33) > 0.005 {
		t.Fatalf("5 ln5 + 6 ln3 + ln2 = %v, want 15.33", want)
	}
}

// TestGradLogProb compares the analytic gradient with central differences.
func TestGradLogProb(t *testing.T) {
	for seed := range uint64(4) {
		p := randomPolicy(seed, 1.5)
		a := p.sample(rand.New(rand.NewPCG(seed, 9)))
		g := p.gradLogProb(a)
		var flat []float64
		for _, l := range p.Logits {
			flat = append(flat, l...)
		}
		f := func(x []float64) float64 {
			q := policy{Logits: make([][]float64, len(p.Logits))}
			off := 0
			for j, l := range p.Logits {
				q.Logits[j] = x[off : off+len(l)]
				off += len(l)
			}
			return q.logProb(a)
		}
		num := fd.Gradient(nil, f, flat, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		k := 0
		for j := range g {
			for i := range g[j] {
				// Central differences with step 1e-5 are exact to O(h²) ≈ 1e-10 plus rounding.
				if math.Abs(g[j][i]-num[k]) > 1e-8 {
					t.Errorf("seed %d choice %d logit %d: analytic %.12f, numeric %.12f", seed, j, i, g[j][i], num[k])
				}
				k++
			}
		}
	}
}

func TestSampleFrequencies(t *testing.T) {
	p := randomPolicy(3, 1)
	r := rand.New(rand.NewPCG(7, 7))
	const n = 40000
	counts := make([][]int, vit.NumChoices)
	for j := range counts {
		counts[j] = make([]int, len(p.Logits[j]))
	}
	for range n {
		for j, i := range p.sample(r) {
			counts[j][i]++
		}
	}
	for j := range counts {
		for i, c := range counts[j] {
			q := p.probs(j)[i]
			sd := math.Sqrt(n * q * (1 - q))
			// 5 standard deviations: 12·~4 counts, a false alarm about once in 10⁵ runs.
			if math.Abs(float64(c)-n*q) > 5*sd {
				t.Errorf("choice %d value %d: %d draws, want %.0f ± %.0f", j, i, c, n*q, sd)
			}
		}
	}
}

func TestArgmax(t *testing.T) {
	p := randomPolicy(1, 1)
	a := p.argmax()
	for j, l := range p.Logits {
		for i, v := range l {
			if v > l[a[j]] {
				t.Fatalf("choice %d: argmax %d (%v) but logit %d is %v", j, a[j], l[a[j]], i, v)
			}
		}
	}
}

func TestAdamMatchesTextbook(t *testing.T) {
	grads := [][]float64{{0.3, -2}, {1e-3, 0}, {-0.5, 4}}
	lr := 0.08
	params := [][]float64{{1, 2}}
	o := newAdam(params)
	// Kingma & Ba, Algorithm 1, in its own order of operations.
	theta, m, v := []float64{1, 2}, []float64{0, 0}, []float64{0, 0}
	for step, g := range grads {
		o.step(lr, params, [][]float64{g})
		tt := float64(step + 1)
		for i := range theta {
			m[i] = 0.9*m[i] + 0.1*g[i]
			v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(0.9, tt))
			vh := v[i] / (1 - math.Pow(0.999, tt))
			theta[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
			// The same formula with the divisions grouped differently: a few ulps.
			if math.Abs(params[0][i]-theta[i]) > 1e-13 {
				t.Fatalf("step %d θ%d: got %.15f, want %.15f", step+1, i, params[0][i], theta[i])
			}
		}
	}
	// With a zero gradient from the start nothing moves.
	z := [][]float64{{5}}
	oz := newAdam(z)
	oz.step(lr, z, [][]float64{{0}})
	if z[0][0] != 5 {
		t.Fatalf("zero gradient moved θ to %v", z[0][0])
	}
}

func TestEMABiasCorrection(t *testing.T) {
	var e ema
	e.update(4, 0.9)
	if e.value() != 4 {
		t.Fatalf("after one value: %v, want 4", e.value())
	}
	e.update(-2, 0.9)
	want := (0.9*0.1*4 + 0.1*-2) / (0.9*0.1 + 0.1)
	if math.Abs(e.value()-want) > 1e-15 {
		t.Fatalf("after two values: %v, want %v", e.value(), want)
	}
}
