package proxies

import (
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/asvit/asvit/vit"
)

// gradNorm is Σ_W ‖∂L/∂W‖_F over the weights.
func gradNorm(grads [][]float32) float64 {
	var sum float64
	for _, g := range grads {
		var sq float64
		for _, x := range g {
			sq += float64(x) * float64(x)
		}
		sum += math.Sqrt(sq)
	}
	return sum
}

// saliency is Σ_i |w_i·g_i| over one tensor: SNIP's and synflow's score of
// a weight, and DSS's synaptic saliency.
func saliency(w, g []float32) float64 {
	var sum float64
	for i, x := range w {
		sum += math.Abs(float64(x) * float64(g[i]))
	}
	return sum
}

// saliencySum is Σ_W saliency(W, grads[W]) over the weights.
func saliencySum(ws, grads [][]float32) float64 {
	var sum float64
	for i, w := range ws {
		sum += saliency(w, grads[i])
	}
	return sum
}

// DSS's two families of weights, by the end of their ParamTable names.
var (
	diversitySuffixes = []string{".attn.qkv.weight", ".attn.proj.weight"}
	saliencySuffixes  = []string{".mlps.0.1.fc1.weight", ".mlps.0.1.fc2.weight"}
)

func hasSuffix(name string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// dss is TF-TAS's indicator from the linearised network's weights |W| and
// gradients ∂R/∂|W| (aligned with weights, ParamTable indexes): the
// synaptic diversity ‖∂R/∂|W|‖_* · ‖|W|‖_* of every attention qkv and proj
// weight plus the synaptic saliency Σ||W| ⊙ ∂R/∂|W|| of every FFN fc1 and
// fc2 weight.
func dss(table []vit.ParamSpec, weights []int, abs, grads [][]float32) float64 {
	var sum float64
	for i, k := range weights {
		p := table[k]
		switch {
		case hasSuffix(p.Name, diversitySuffixes):
			rows, cols := p.Shape[0], p.Shape[1]
			sum += nuclearNorm(rows, cols, grads[i]) * nuclearNorm(rows, cols, abs[i])
		case hasSuffix(p.Name, saliencySuffixes):
			sum += saliency(abs[i], grads[i])
		}
	}
	return sum
}

// nuclearNorm returns the sum of the singular values of the rows×cols
// row-major matrix a, computed in float64. A failed factorisation gives NaN.
func nuclearNorm(rows, cols int, a []float32) float64 {
	data := make([]float64, len(a))
	for i, x := range a {
		data[i] = float64(x)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(rows, cols, data), mat.SVDNone) {
		return math.NaN()
	}
	var sum float64
	for _, s := range svd.Values(nil) {
		sum += s
	}
	return sum
}
