package proxies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// Names of the graph's inputs and outputs besides the parameters, which
// keep their ParamTable names.
const (
	imagesName    = "images"      // [N,C,R,R] the probe batch
	targetsName   = "targets"     // [N,classes] one-hot labels
	absPrefix     = "abs/"        // |θ|, the linearised network's parameters
	lossGradName  = "loss_grad/"  // ∂L/∂W for every weight W
	flowGradName  = "flow_grad/"  // ∂R/∂|W| for every weight W
	geluInputName = "gelu_input/" // every FFN's GELU pre-activation, by block
)

// proxyGraph is one graph holding two branches, each with its own parameter inputs.
//
// The data branch runs the network (LayerNorms on) on the probe batch: its
// mean cross-entropy L, the gradient of L with respect to every weight, and
// the input of every GELU. The linearised branch runs it, LayerNorms on, on
// the absolute values of the parameters and one all-ones image: R = Σ logits
// and the gradient of R with respect to every |W|.
type proxyGraph struct {
	g               *graphgen.Graph
	images, targets *graphgen.Value
	params, abs     []*graphgen.Value // aligned with ParamTable
	loss, flow      *graphgen.Value   // L and R, rank 0
	weights         []int             // ParamTable indexes of the weights
	lossGrads       []*graphgen.Value // aligned with weights
	flowGrads       []*graphgen.Value // aligned with weights
	geluInputs      []*graphgen.Value // [N, tokens, hidden], one per block in order
}

// isWeight reports whether p is a convolution or linear kernel (rank ≥ 2):
// the tensors the proxies score. Biases and LayerNorm parameters are not.
func isWeight(p vit.ParamSpec) bool { return len(p.Shape) >= 2 }

// buildGraph builds m's proxy graph for a batch of n images.
func buildGraph(m vit.Model, n int) (*proxyGraph, error) {
	g := graphgen.New("asvit_proxies")
	g.ParamsAsInputs = true
	params, err := m.DeclareParams(g, graphgen.Float32, nil)
	if err != nil {
		return nil, err
	}
	pg := &proxyGraph{g: g, params: params}
	table := m.ParamTable()
	for k, p := range table {
		if isWeight(p) {
			pg.weights = append(pg.weights, k)
		}
	}
	if err := pg.dataBranch(m, n); err != nil {
		return nil, err
	}
	if err := pg.linearisedBranch(m); err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		for i, k := range pg.weights {
			g.Output(lossGradName+table[k].Name, pg.lossGrads[i])
		}
		for i, k := range pg.weights {
			g.Output(flowGradName+table[k].Name, pg.flowGrads[i])
		}
		for i, v := range pg.geluInputs {
			g.Output(fmt.Sprintf("%s%d", geluInputName, i), v)
		}
	})
	return pg, err
}

// dataBranch appends L = mean_n −log softmax(z_n)[label_n] on the batch,
// its gradients and the GELU inputs.
func (pg *proxyGraph) dataBranch(m vit.Model, n int) error {
	g, s := pg.g, m.Spec()
	err := graphgen.Catch(func() {
		pg.images = g.Input(imagesName, graphgen.Float32, n, s.Channels, s.Image, s.Image)
		pg.targets = g.Input(targetsName, graphgen.Float32, n, s.Classes)
	})
	if err != nil {
		return err
	}
	first := len(g.Nodes())
	var outs []*graphgen.Value
	g.Scope("data", func() {
		outs, err = m.Forward(g, pg.images, pg.params, vit.ForwardOptions{Output: vit.Logits})
	})
	if err != nil {
		return err
	}
	if pg.geluInputs, err = geluInputs(g.Nodes()[first:], m, n); err != nil {
		return err
	}
	err = graphgen.Catch(func() {
		g.Scope("loss", func() {
			logp := g.LogSoftmax(outs[0], -1)
			pg.loss = g.Scale(g.ReduceSum(g.Mul(pg.targets, logp), false), -1/float64(n))
		})
	})
	if err != nil {
		return err
	}
	pg.lossGrads, err = graphgen.VJP([]*graphgen.Value{pg.loss}, nil, pick(pg.params, pg.weights))
	return err
}

// linearisedBranch appends R = Σ logits of the network with parameters |θ|
// on one all-ones image, and its gradients with respect to the |W|.
func (pg *proxyGraph) linearisedBranch(m vit.Model) error {
	g, s := pg.g, m.Spec()
	table := m.ParamTable()
	var ones *graphgen.Value
	err := graphgen.Catch(func() {
		for _, p := range table {
			pg.abs = append(pg.abs, g.Input(absPrefix+p.Name, graphgen.Float32, p.Shape...))
		}
		data := make([]float32, s.Channels*s.Image*s.Image)
		for i := range data {
			data[i] = 1
		}
		ones = g.Const(graphgen.Float32, []int{1, s.Channels, s.Image, s.Image}, data)
	})
	if err != nil {
		return err
	}
	var outs []*graphgen.Value
	g.Scope("linearised", func() {
		outs, err = m.Forward(g, ones, pg.abs, vit.ForwardOptions{Output: vit.Logits})
	})
	if err != nil {
		return err
	}
	if err = graphgen.Catch(func() { pg.flow = g.ReduceSum(outs[0], false) }); err != nil {
		return err
	}
	pg.flowGrads, err = graphgen.VJP([]*graphgen.Value{pg.flow}, nil, pick(pg.abs, pg.weights))
	return err
}

// pick returns vs[idx[0]], vs[idx[1]], ….
func pick[T any](vs []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, k := range idx {
		out[i] = vs[k]
	}
	return out
}

// geluInputs finds, among the nodes of one forward pass, the input x of
// every FFN's GELU. graphgen builds GELU(x) as (x·½)·(1 + Erf(x·√½)), so x
// is the first operand of the Mul that feeds each Erf; the FFN is the only
// place the network uses Erf. It checks that there is one per block, each
// [n, tokens, hidden] as the model's geometry says.
func geluInputs(nodes []*graphgen.Node, m vit.Model, n int) ([]*graphgen.Value, error) {
	var xs []*graphgen.Value
	for _, nd := range nodes {
		if nd.Op != "Erf" {
			continue
		}
		mul := nd.Inputs[0].Producer()
		if mul == nil || mul.Op != "Mul" || !strings.Contains(nd.Name, "/mlp/") {
			return nil, fmt.Errorf("the Erf node %s is not an FFN GELU as graphgen builds it; update geluInputs", nd.Name)
		}
		xs = append(xs, mul.Inputs[0])
	}
	var want [][]int
	for _, st := range m.Stages() {
		for range st.Depth {
			want = append(want, []int{n, st.Tokens, st.FFNHidden})
		}
	}
	if len(xs) != len(want) {
		return nil, fmt.Errorf("found %d GELUs in the forward pass, want %d (one per block); update geluInputs", len(xs), len(want))
	}
	for i, x := range xs {
		if !slices.Equal(x.Shape(), want[i]) {
			return nil, fmt.Errorf("GELU input of block %d has shape %v, want %v; update geluInputs", i, x.Shape(), want[i])
		}
	}
	return xs, nil
}
