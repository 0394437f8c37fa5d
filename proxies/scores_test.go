package proxies

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Nuclear norms of matrices whose singular values are known, and of a
// random one against the eigenvalues of AᵀA.
func TestNuclearNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	random := make([]float32, 3*5)
	for i := range random {
		random[i] = float32(r.NormFloat64())
	}
	u, v := []float64{1, -2, 2}, []float64{3, 0, -4, 0} // ‖u‖ = 3, ‖v‖ = 5
	outer := make([]float32, 0, 12)
	for _, a := range u {
		for _, b := range v {
			outer = append(outer, float32(a*b))
		}
	}
	s := float32(math.Sqrt(0.5))
	cases := []struct {
		name       string
		rows, cols int
		a          []float32
		want       float64
	}{
		{"diagonal", 2, 2, []float32{3, 0, 0, -4}, 7},
		{"rank one", 3, 4, outer, 15},
		{"rotation ×2", 2, 2, []float32{2 * s, -2 * s, 2 * s, 2 * s}, 4},
		{"zero", 2, 3, make([]float32, 6), 0},
		{"random 3×5", 3, 5, random, nuclearByEigen(3, 5, widen(random))},
	}
	for _, c := range cases {
		if got := nuclearNorm(c.rows, c.cols, c.a); math.Abs(got-c.want) > 1e-6*math.Max(1, c.want) {
			t.Errorf("%s: ‖A‖_* = %.10g, want %.10g", c.name, got, c.want)
		}
	}
}

// With head.0's weight zero, the linearised network's logits are
// |W₂|·tanh(|b₁|) + |b₂| whatever comes before the head, so ∂R/∂|W₂|[c,j] =
// tanh(|b₁|_j), every earlier weight's gradient is zero, synflow is
// Σ_cj |W₂[c,j]|·tanh(|b₁|_j) and DSS is 0.
func TestSynflowClosedForm(t *testing.T) {
	m := newModel(t, tinyTopology, 32)
	weights := m.Init(7)
	var w2, b1 []float32
	for k, p := range m.ParamTable() {
		switch p.Name {
		case "head.0.weight":
			clear(weights[k])
		case "head.0.bias":
			for j := range weights[k] {
				weights[k][j] = float32(j%7-3) / 5
			}
			b1 = weights[k]
		case "head.2.weight":
			w2 = weights[k]
		}
	}
	var want float64
	for i, w := range w2 {
		want += math.Abs(float64(w)) * math.Tanh(math.Abs(float64(b1[i%len(b1)])))
	}
	got := measure(t, m, weights, randomInput(m, 2, 7))
	if relErr(got.Synflow, want) > 1e-6 || got.DSS != 0 {
		t.Errorf("synflow = %.10g, DSS = %g; want %.10g and 0", got.Synflow, got.DSS, want)
	}
}

// DSS counts exactly the attention's qkv and proj weights (diversity) and
// the FFN's fc1 and fc2 weights (saliency).
func TestDSSFamilies(t *testing.T) {
	m := newModel(t, seedTopology, 32)
	var div, sal []string
	for _, p := range m.ParamTable() {
		switch {
		case hasSuffix(p.Name, diversitySuffixes):
			div = append(div, p.Name)
		case hasSuffix(p.Name, saliencySuffixes):
			sal = append(sal, p.Name)
		}
	}
	wantDiv := "layers.0.blocks.0.attn.qkv.weight layers.0.blocks.0.attn.proj.weight layers.1.blocks.0.attn.qkv.weight layers.1.blocks.0.attn.proj.weight layers.2.blocks.0.attn.qkv.weight layers.2.blocks.0.attn.proj.weight layers.3.blocks.0.attn.qkv.weight layers.3.blocks.0.attn.proj.weight"
	wantSal := "layers.0.blocks.0.mlps.0.1.fc1.weight layers.0.blocks.0.mlps.0.1.fc2.weight layers.1.blocks.0.mlps.0.1.fc1.weight layers.1.blocks.0.mlps.0.1.fc2.weight layers.2.blocks.0.mlps.0.1.fc1.weight layers.2.blocks.0.mlps.0.1.fc2.weight layers.3.blocks.0.mlps.0.1.fc1.weight layers.3.blocks.0.mlps.0.1.fc2.weight"
	if strings.Join(div, " ") != wantDiv || strings.Join(sal, " ") != wantSal {
		t.Errorf("diversity %v\nsaliency %v", div, sal)
	}
}
