package proxies

import (
	"math"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/vit"
)

// tinyCase is the tiny network's proxy graph with its weights and batch.
type tinyCase struct {
	m       vit.Model
	pg      *proxyGraph
	weights [][]float32
	in      Input
	feeds   map[*graphgen.Value][]float64
}

// newTinyCase returns the tiny network with a batch of n.
func newTinyCase(t *testing.T, n int) *tinyCase {
	t.Helper()
	m := newModel(t, tinyTopology, 32)
	pg, err := buildGraph(m, n)
	if err != nil {
		t.Fatal(err)
	}
	c := &tinyCase{m: m, pg: pg, weights: m.Init(3), in: randomInput(m, n, 3)}
	c.feeds = evalFeeds(pg, m, c.weights, c.in)
	return c
}

// evaluate runs vs in float64 with c's feeds, some replaced by with.
func (c *tinyCase) evaluate(t *testing.T, with map[*graphgen.Value][]float64, vs ...*graphgen.Value) [][]float64 {
	t.Helper()
	feeds := make(map[*graphgen.Value][]float64, len(c.feeds))
	for k, v := range c.feeds {
		feeds[k] = v
	}
	for k, v := range with {
		feeds[k] = v
	}
	out, err := eval.Run(vs, feeds)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The ONNX Runtime outputs (float32) agree with the float64 evaluator run on
// the same graph: every gradient and GELU input within 1e-4 of the tensor's
// largest magnitude.
func TestRunMatchesEvaluator(t *testing.T) {
	initORT(t)
	c := newTinyCase(t, 4)
	r, err := c.pg.run(c.m, c.weights, absolute(c.weights), c.in, oneThread)
	if err != nil {
		t.Fatal(err)
	}
	var vs []*graphgen.Value
	var got [][]float32
	vs, got = append(vs, c.pg.lossGrads...), append(got, r.lossGrads...)
	vs, got = append(vs, c.pg.flowGrads...), append(got, r.flowGrads...)
	vs, got = append(vs, c.pg.geluInputs...), append(got, r.geluInputs...)
	want := c.evaluate(t, nil, vs...)
	worst := 0.0
	for i, v := range vs {
		scale, diff := 0.0, 0.0
		for j, w := range want[i] {
			scale = math.Max(scale, math.Abs(w))
			diff = math.Max(diff, math.Abs(float64(got[i][j])-w))
		}
		if scale == 0 {
			t.Errorf("%s is all zeros; the check would be empty", v.Name())
			continue
		}
		worst = math.Max(worst, diff/scale)
		if diff > 1e-4*scale {
			t.Errorf("%s: ORT differs from the evaluator by %.3g, %.3g of its scale", v.Name(), diff, diff/scale)
		}
	}
	t.Logf("%d tensors, worst difference %.2g of the tensor's scale", len(vs), worst)
}

// The gradients are those of L and R: central differences of the evaluated
// loss and logit sum, in float64, at the largest-gradient entry of every
// weight tensor.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	c := newTinyCase(t, 4)
	table := c.m.ParamTable()
	branches := []struct {
		name   string
		y      *graphgen.Value
		inputs []*graphgen.Value // aligned with ParamTable
		grads  []*graphgen.Value // aligned with c.pg.weights
	}{
		{"loss", c.pg.loss, c.pg.params, c.pg.lossGrads},
		{"flow", c.pg.flow, c.pg.abs, c.pg.flowGrads},
	}
	const h = 1e-5
	worst := 0.0
	for _, b := range branches {
		grads := c.evaluate(t, nil, b.grads...)
		for i, k := range c.pg.weights {
			at := argMaxAbs(grads[i])
			x := b.inputs[k]
			moved := func(d float64) float64 {
				data := append([]float64(nil), c.feeds[x]...)
				data[at] += d
				return c.evaluate(t, map[*graphgen.Value][]float64{x: data}, b.y)[0][0]
			}
			fd := (moved(h) - moved(-h)) / (2 * h)
			err := math.Abs(fd-grads[i][at]) / math.Max(math.Abs(grads[i][at]), 1e-8)
			worst = math.Max(worst, err)
			if err > 1e-5 {
				t.Errorf("%s: ∂/∂%s[%d] = %.10g, finite differences %.10g", b.name, table[k].Name, at, grads[i][at], fd)
			}
		}
	}
	t.Logf("worst relative difference %.2g", worst)
}

func argMaxAbs(xs []float64) int {
	best := 0
	for i, x := range xs {
		if math.Abs(x) > math.Abs(xs[best]) {
			best = i
		}
	}
	return best
}

// L is the mean cross-entropy of the network's logits and R the sum of the
// logits of the network with |θ| on one all-ones image, both computed here
// from vit.Model.Graph's logits. That graph is float32 like the proxy graph,
// so both round their constants (1/√2 in GELU, say) alike.
func TestLossAndFlowDefinitions(t *testing.T) {
	c := newTinyCase(t, 4)
	s := c.m.Spec()
	logits := func(weights [][]float32, batch int, images []float64) []float64 {
		g, err := c.m.Graph(vit.GraphConfig{Batch: batch, Weights: weights})
		if err != nil {
			t.Fatal(err)
		}
		out, err := eval.Run(g.Outputs(), map[*graphgen.Value][]float64{g.Inputs()[0]: images})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	z := logits(c.weights, c.in.N, widen(c.in.Images))
	var loss float64
	for n, l := range c.in.Labels {
		row := z[n*s.Classes : (n+1)*s.Classes]
		var sum float64
		for _, v := range row {
			sum += math.Exp(v)
		}
		loss += (math.Log(sum) - row[l]) / float64(c.in.N)
	}
	ones := make([]float64, s.Channels*s.Image*s.Image)
	for i := range ones {
		ones[i] = 1
	}
	var flow float64
	for _, v := range logits(absolute(c.weights), 1, ones) {
		flow += v
	}
	got := c.evaluate(t, nil, c.pg.loss, c.pg.flow)
	t.Logf("relative differences: L %.2g, R %.2g", relErr(got[0][0], loss), relErr(got[1][0], flow))
	if relErr(got[0][0], loss) > 1e-12 || relErr(got[1][0], flow) > 1e-12 {
		t.Errorf("L = %.15g, R = %.15g; want %.15g and %.15g", got[0][0], got[1][0], loss, flow)
	}
}

// Every FFN's GELU input is its fc1 output: with fc1's weight zero, block
// b's GELU input is fc1's bias at every sample and token.
func TestGELUInputsAreFC1Outputs(t *testing.T) {
	initORT(t)
	c := newTinyCase(t, 4)
	table := c.m.ParamTable()
	biases := map[int][]float32{} // block → fc1 bias
	block := 0
	for k, p := range table {
		switch {
		case hasSuffix(p.Name, []string{".fc1.weight"}):
			clear(c.weights[k])
		case hasSuffix(p.Name, []string{".fc1.bias"}):
			for u := range c.weights[k] {
				c.weights[k][u] = float32(block+1) * float32(u%5-2) / 4
			}
			biases[block] = c.weights[k]
			block++
		}
	}
	r, err := c.pg.run(c.m, c.weights, absolute(c.weights), c.in, oneThread)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.geluInputs) != block {
		t.Fatalf("%d GELU inputs for %d blocks", len(r.geluInputs), block)
	}
	for b, x := range r.geluInputs {
		bias := biases[b]
		for i, v := range x {
			if v != bias[i%len(bias)] {
				t.Fatalf("block %d: GELU input %d is %g, want fc1's bias %g", b, i, v, bias[i%len(bias)])
			}
		}
	}
}
