package complexity

import (
	"fmt"

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
	if x, err = mg.imageInput(m, name, rows); err != nil {
		return nil, nil, err
	}
	f, err = mg.forward(m, x, scopeOf(noNorms), noNorms)
	return x, f, err
}

// imageInput appends an input of `rows` images.
func (mg *measureGraph) imageInput(m vit.Model, name string, rows int) (x *graphgen.Value, err error) {
	s := m.Spec()
	err = graphgen.Catch(func() {
		x = mg.g.Input(name, mg.params[0].DType(), rows, s.Channels, s.Image, s.Image)
	})
	return x, err
}

func scopeOf(noNorms bool) string {
	if noNorms {
		return "curve"
	}
	return "ntk"
}

// passScope names pass c of a branch that runs in passes; one pass keeps
// the plain branch name, so an unsplit graph is the one it always was.
func passScope(noNorms bool, c, passes int) string {
	if passes == 1 {
		return scopeOf(noNorms)
	}
	return fmt.Sprintf("%s/pass%d", scopeOf(noNorms), c)
}

// forward appends the network's pooled features on x under scope.
func (mg *measureGraph) forward(m vit.Model, x *graphgen.Value, scope string, noNorms bool) (f *graphgen.Value, err error) {
	var outs []*graphgen.Value
	mg.g.Scope(scope, func() {
		outs, err = m.Forward(mg.g, x, mg.params, vit.ForwardOptions{Output: vit.Features, NoNorms: noNorms})
	})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// curveJVP appends the forward-mode derivative of the features (LayerNorms
// off) at points along tangents, in passes of rows [bounds[c],
// bounds[c+1]), each with a forward graph of its own, joined in order.
func (mg *measureGraph) curveJVP(m vit.Model, points, tangents *graphgen.Value, bounds []int) (*graphgen.Value, error) {
	g := mg.g
	passes := len(bounds) - 1
	jvps := make([]*graphgen.Value, passes)
	for c := range passes {
		x, t := points, tangents
		if passes > 1 {
			err := graphgen.Catch(func() {
				x, t = sliceRows(g, points, bounds[c], bounds[c+1]), sliceRows(g, tangents, bounds[c], bounds[c+1])
			})
			if err != nil {
				return nil, err
			}
		}
		f, err := mg.forward(m, x, passScope(true, c, passes), true)
		if err != nil {
			return nil, err
		}
		jvp, err := graphgen.JVP([]*graphgen.Value{x}, []*graphgen.Value{t}, []*graphgen.Value{f})
		if err != nil {
			return nil, err
		}
		jvps[c] = jvp[0]
	}
	if passes == 1 {
		return jvps[0], nil
	}
	var out *graphgen.Value
	err := graphgen.Catch(func() { out = g.Concat(0, jvps...) })
	return out, err
}

// sliceRows returns rows [lo, hi) of x along dimension 0.
func sliceRows(g *graphgen.Graph, x *graphgen.Value, lo, hi int) *graphgen.Value {
	return g.Slice(x, []int{0}, []int{lo}, []int{hi}, []int{1})
}

// buildFast builds the graph of Method Fast: inputs ntk_input, curve_points
// and curve_tangents; outputs ntk_gram, Θ from a reverse sweep over the
// batch (LayerNorms on, y_b = Σ features[b]), and curve_jvp, the
// forward-mode derivative of the features along the curve (LayerNorms off).
// Both run in passes of at most PassRows(m, s) rows, each with a forward
// graph of its own, so that one pass's activations are live at a time.
func buildFast(m vit.Model, s Settings, dt graphgen.DType) (*measureGraph, error) {
	mg, err := newMeasureGraph(m, dt)
	if err != nil {
		return nil, err
	}
	rows, err := PassRows(m, s)
	if err != nil {
		return nil, err
	}
	in, err := mg.imageInput(m, ntkInputName, s.Batch)
	if err != nil {
		return nil, err
	}
	points, err := mg.imageInput(m, curvePointsName, s.CurvePoints)
	if err != nil {
		return nil, err
	}
	tangents, err := mg.imageInput(m, curveTangentsName, s.CurvePoints)
	if err != nil {
		return nil, err
	}
	bounds := chunkBounds(s.Batch, rows)
	gram, err := graphgen.PerSampleGramInChunks(in, bounds, ntkParams(m, mg.params), func(c int, x *graphgen.Value) (*graphgen.Value, error) {
		f, err := mg.forward(m, x, passScope(false, c, len(bounds)-1), false)
		if err != nil {
			return nil, err
		}
		var y *graphgen.Value
		err = graphgen.Catch(func() { y = mg.g.ReduceSum(f, false, 1) })
		return y, err
	})
	if err != nil {
		return nil, err
	}
	jvp, err := mg.curveJVP(m, points, tangents, chunkBounds(s.CurvePoints, rows))
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		mg.outputs = []*graphgen.Value{mg.g.Output(gramName, gram), mg.g.Output(curveJVPName, jvp)}
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
