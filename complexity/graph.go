package complexity

import (
	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// Names of the graph values besides the parameters, which keep their
// ParamTable names.
const (
	ntkInputName      = "ntk_input"      // [B,C,R,R] the κ batch
	curvePointsName   = "curve_points"   // [n,C,R,R] x(θ_k)
	curveTangentsName = "curve_tangents" // [n,C,R,R] dx/dθ at θ_k
	gramName          = "ntk_gram"       // [B,B] Θ = G·Gᵀ
	curveJVPName      = "curve_jvp"      // [n,nf] ∂features(x(θ_k))/∂θ
	ntkSeedName       = "ntk_seed"       // [B,nf] cotangent of the features
	ntkGradsName      = "ntk_grads"      // [P] gradient of every NTK parameter, flattened
	curveSeedName     = "curve_seed"     // [n,nf] cotangent of the curve features
	curveGradName     = "curve_grad"     // [n,C,R,R] gradient of the curve features w.r.t. the points
)

// measureGraph is a graph whose parameters are inputs, with its other inputs
// and its outputs in the order a session binds them.
type measureGraph struct {
	g       *graphgen.Graph
	inputs  []*graphgen.Value // besides the parameters, in feed order
	params  []*graphgen.Value // aligned with ParamTable
	outputs []*graphgen.Value
}

// newMeasureGraph starts a graph with m's parameters as inputs.
func newMeasureGraph(m vit.Model, dt graphgen.DType) (*measureGraph, error) {
	g := graphgen.New("asvit_complexity")
	g.ParamsAsInputs = true
	params, err := m.DeclareParams(g, dt, nil)
	return &measureGraph{g: g, params: params}, err
}

// inputNames lists the names a session feeds: inputs, then parameters.
func (mg *measureGraph) inputNames() []string { return names(mg.inputs, mg.params) }

func (mg *measureGraph) outputNames() []string { return names(mg.outputs) }

func names(groups ...[]*graphgen.Value) []string {
	var out []string
	for _, vs := range groups {
		for _, v := range vs {
			out = append(out, v.Name())
		}
	}
	return out
}

// reads returns the names of the parameters some node consumes; the
// others (the final norm and the head) never reach the features.
func (mg *measureGraph) reads() map[string]bool {
	isParam := make(map[*graphgen.Value]bool, len(mg.params))
	for _, p := range mg.params {
		isParam[p] = true
	}
	read := map[string]bool{}
	for _, n := range mg.g.Nodes() {
		for _, v := range n.Inputs {
			if isParam[v] {
				read[v.Name()] = true
			}
		}
	}
	return read
}

// ntkParams returns the parameters κ differentiates (ParamSpec.NTK).
func ntkParams(m vit.Model, params []*graphgen.Value) []*graphgen.Value {
	var out []*graphgen.Value
	for k, p := range m.ParamTable() {
		if p.NTK {
			out = append(out, params[k])
		}
	}
	return out
}

// features appends an input of `rows` images named name and the network's
// pooled features on it, with or without its LayerNorms.
func (mg *measureGraph) features(m vit.Model, name string, rows int, noNorms bool) (x, f *graphgen.Value, err error) {
	s := m.Spec()
	err = graphgen.Catch(func() {
		x = mg.g.Input(name, mg.params[0].DType(), rows, s.Channels, s.Image, s.Image)
	})
	if err != nil {
		return nil, nil, err
	}
	var outs []*graphgen.Value
	scope := "ntk"
	if noNorms {
		scope = "curve"
	}
	mg.g.Scope(scope, func() {
		outs, err = m.Forward(mg.g, x, mg.params, vit.ForwardOptions{Output: vit.Features, NoNorms: noNorms})
	})
	if err != nil {
		return nil, nil, err
	}
	return x, outs[0], nil
}

// buildFast builds the graph of Method Fast: inputs ntk_input, curve_points
// and curve_tangents; outputs ntk_gram, Θ from one reverse sweep over the
// batch (LayerNorms on, y_b = Σ features[b]), and curve_jvp, the forward-mode
// derivative of the features along the curve (LayerNorms off).
func buildFast(m vit.Model, s Settings, dt graphgen.DType) (*measureGraph, error) {
	mg, err := newMeasureGraph(m, dt)
	if err != nil {
		return nil, err
	}
	in, feats, err := mg.features(m, ntkInputName, s.Batch, false)
	if err != nil {
		return nil, err
	}
	points, curveFeats, err := mg.features(m, curvePointsName, s.CurvePoints, true)
	if err != nil {
		return nil, err
	}
	g := mg.g
	var y, tangents *graphgen.Value
	err = graphgen.Catch(func() {
		y = g.ReduceSum(feats, false, 1)
		tangents = g.Input(curveTangentsName, dt, points.Shape()...)
	})
	if err != nil {
		return nil, err
	}
	gram, err := graphgen.PerSampleGram(y, ntkParams(m, mg.params))
	if err != nil {
		return nil, err
	}
	jvp, err := graphgen.JVP([]*graphgen.Value{points}, []*graphgen.Value{tangents}, []*graphgen.Value{curveFeats})
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		mg.outputs = []*graphgen.Value{g.Output(gramName, gram), g.Output(curveJVPName, jvp[0])}
	})
	mg.inputs = []*graphgen.Value{in, points, tangents}
	return mg, err
}

// buildBruteNTK builds κ's reference graph: inputs ntk_input and ntk_seed,
// output ntk_grads, the gradient of Σ seed⊙features (LayerNorms on) with
// respect to every NTK parameter, flattened and concatenated. A one-hot seed
// row b gives sample b's gradient g_b.
func buildBruteNTK(m vit.Model, s Settings, dt graphgen.DType) (*measureGraph, error) {
	return buildSeededVJP(m, dt, ntkInputName, ntkSeedName, s.Batch, false,
		func(mg *measureGraph, _ *graphgen.Value) []*graphgen.Value { return ntkParams(m, mg.params) },
		func(mg *measureGraph, grads []*graphgen.Value) *graphgen.Value {
			flat := make([]*graphgen.Value, len(grads))
			for i, gr := range grads {
				flat[i] = mg.g.Reshape(gr, gr.Size())
			}
			return mg.g.Output(ntkGradsName, mg.g.Concat(0, flat...))
		})
}

// buildBruteCurve builds L^E's reference graph: inputs curve_points and
// curve_seed, output curve_grad, the gradient of Σ seed⊙features (LayerNorms
// off) with respect to the points. A seed of ones in column c gives, row by
// row, the gradient of feature c at each point.
func buildBruteCurve(m vit.Model, s Settings, dt graphgen.DType) (*measureGraph, error) {
	return buildSeededVJP(m, dt, curvePointsName, curveSeedName, s.CurvePoints, true,
		func(_ *measureGraph, in *graphgen.Value) []*graphgen.Value { return []*graphgen.Value{in} },
		func(mg *measureGraph, grads []*graphgen.Value) *graphgen.Value {
			return mg.g.Output(curveGradName, grads[0])
		})
}

// buildSeededVJP builds a graph with inputs input ([n, C, R, R]) and seed
// ([n, nf]) whose one output, made by output, comes from the gradients of
// Σ seed⊙features with respect to the values wrt picks.
func buildSeededVJP(m vit.Model, dt graphgen.DType, inputName, seedName string, n int, noNorms bool,
	wrt func(*measureGraph, *graphgen.Value) []*graphgen.Value,
	output func(*measureGraph, []*graphgen.Value) *graphgen.Value) (*measureGraph, error) {
	mg, err := newMeasureGraph(m, dt)
	if err != nil {
		return nil, err
	}
	in, feats, err := mg.features(m, inputName, n, noNorms)
	if err != nil {
		return nil, err
	}
	var seed *graphgen.Value
	if err := graphgen.Catch(func() { seed = mg.g.Input(seedName, dt, feats.Shape()...) }); err != nil {
		return nil, err
	}
	grads, err := graphgen.VJP([]*graphgen.Value{feats}, []*graphgen.Value{seed}, wrt(mg, in))
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() { mg.outputs = []*graphgen.Value{output(mg, grads)} })
	mg.inputs = []*graphgen.Value{in, seed}
	return mg, err
}
