package train

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// AdamW's constants, torch.optim.AdamW's defaults.
const (
	AdamBeta1 = 0.9
	AdamBeta2 = 0.999
	AdamEps   = 1e-8
)

// Names of the step graph's inputs and outputs other than the parameters
// and moments (see StepNames).
const (
	ImagesName  = "images"
	TargetsName = "targets"
	LRName      = "lr"
	BC1Name     = "bias_correction1" // 1/(1-β1^t) at step t (from 1)
	BC2Name     = "bias_correction2" // 1/(1-β2^t)
	LossName    = "loss"
	LogitsName  = vit.LogitsName
)

// StepNames lists the step graph's tensor names for parameter table
// entry p: the parameter and its two moments as inputs, and their updated
// values as outputs.
type StepNames struct {
	Param, M, V          string
	NewParam, NewM, NewV string
}

// NamesOf returns the step-graph names of parameter p.
func NamesOf(p vit.ParamSpec) StepNames {
	return StepNames{
		Param: p.Name, M: "adam_m/" + p.Name, V: "adam_v/" + p.Name,
		NewParam: "new/" + p.Name, NewM: "new/adam_m/" + p.Name, NewV: "new/adam_v/" + p.Name,
	}
}

// Decays reports whether AdamW's weight decay applies to p: the rank ≥ 2
// weights (linear and convolution kernels), never biases or norm
// parameters.
func Decays(p vit.ParamSpec) bool { return len(p.Shape) >= 2 }

// StepOptions configure BuildStep.
type StepOptions struct {
	Batch       int
	WeightDecay float64        // decoupled, as torch.optim.AdamW's weight_decay
	DType       graphgen.DType // Float32 when zero
}

// objective is the forward pass of a model with the smoothed cross-entropy
// and its gradients with respect to every parameter.
type objective struct {
	params          []*graphgen.Value // aligned with the model's ParamTable
	images, targets *graphgen.Value
	logits, loss    *graphgen.Value
	grads           []*graphgen.Value // aligned with params
}

// buildObjective appends the objective to g, whose parameters must be
// inputs. The loss is mean_b -Σ_c q_bc·log softmax(z_b)_c, with the target
// distribution q [B, classes] an input (a smoothed one-hot; see Targets).
func buildObjective(g *graphgen.Graph, m vit.Model, dt graphgen.DType, batch int) (objective, error) {
	var o objective
	s := m.Spec()
	params, err := m.DeclareParams(g, dt, nil)
	if err != nil {
		return o, err
	}
	o.params = params
	err = graphgen.Catch(func() {
		o.images = g.Input(ImagesName, dt, batch, s.Channels, s.Image, s.Image)
		o.targets = g.Input(TargetsName, dt, batch, s.Classes)
	})
	if err != nil {
		return o, err
	}
	outs, err := m.Forward(g, o.images, params, vit.ForwardOptions{Output: vit.Logits})
	if err != nil {
		return o, err
	}
	o.logits = outs[0]
	err = graphgen.Catch(func() {
		g.Scope("loss", func() {
			logp := g.LogSoftmax(o.logits, -1)
			o.loss = g.Scale(g.ReduceSum(g.Mul(o.targets, logp), false), -1/float64(batch))
		})
	})
	if err != nil {
		return o, err
	}
	o.grads, err = graphgen.VJP([]*graphgen.Value{o.loss}, nil, params)
	return o, err
}

// BuildStep returns the graph of one AdamW training step of m on a batch:
// forward pass, smoothed cross-entropy, gradients of every parameter and
// the update.
//
// Inputs (StepInputNames gives them in order): every parameter, every
// first moment and every second moment, in ParamTable order and named by
// NamesOf; ImagesName [B, C, R, R], TargetsName [B, classes] (see Targets),
// and the rank-0 LRName, BC1Name and BC2Name. Outputs (StepOutputNames):
// the updated parameters, first and second moments in the same order, then
// LossName (rank 0) and LogitsName [B, classes].
//
// The update is torch.optim.AdamW's, with g the gradient:
//
//	m ← β1·m + (1-β1)·g
//	v ← β2·v + (1-β2)·g²
//	p ← p·(1 - lr·wd)                        (only where Decays)
//	p ← p - lr·bc1·m / (√(v·bc2) + eps)
//
// √(v·bc2) equals torch's √v/√(1-β2^t).
func BuildStep(m vit.Model, opts StepOptions) (*graphgen.Graph, error) {
	if opts.Batch < 1 {
		return nil, fmt.Errorf("step graph: batch %d, want ≥ 1", opts.Batch)
	}
	if opts.WeightDecay < 0 {
		return nil, fmt.Errorf("step graph: weight decay %g, want ≥ 0", opts.WeightDecay)
	}
	dt := opts.DType
	if dt == 0 {
		dt = graphgen.Float32
	}
	g := graphgen.New("asvit_train_step")
	g.ParamsAsInputs = true
	o, err := buildObjective(g, m, dt, opts.Batch)
	if err != nil {
		return nil, err
	}
	table := m.ParamTable()
	err = graphgen.Catch(func() {
		ms := make([]*graphgen.Value, len(table))
		vs := make([]*graphgen.Value, len(table))
		for k, p := range table {
			ms[k] = g.Input(NamesOf(p).M, dt, p.Shape...)
		}
		for k, p := range table {
			vs[k] = g.Input(NamesOf(p).V, dt, p.Shape...)
		}
		lr, bc1, bc2 := g.Input(LRName, dt), g.Input(BC1Name, dt), g.Input(BC2Name, dt)
		var newP, newM, newV []*graphgen.Value
		g.Scope("adamw", func() {
			step := g.Mul(lr, bc1)                                        // lr·bc1
			keep := g.Sub(g.Scalar(dt, 1), g.Scale(lr, opts.WeightDecay)) // 1 - lr·wd
			for k, p := range table {
				grad := o.grads[k]
				mk := g.Add(g.Scale(ms[k], AdamBeta1), g.Scale(grad, 1-AdamBeta1))
				vk := g.Add(g.Scale(vs[k], AdamBeta2), g.Scale(g.Mul(grad, grad), 1-AdamBeta2))
				denom := g.AddScalar(g.Sqrt(g.Mul(vk, bc2)), AdamEps)
				upd := g.Div(g.Mul(mk, step), denom)
				pk := o.params[k]
				if Decays(p) && opts.WeightDecay != 0 {
					pk = g.Mul(pk, keep)
				}
				newP = append(newP, g.Sub(pk, upd))
				newM, newV = append(newM, mk), append(newV, vk)
			}
		})
		for k, p := range table {
			g.Output(NamesOf(p).NewParam, newP[k])
		}
		for k, p := range table {
			g.Output(NamesOf(p).NewM, newM[k])
		}
		for k, p := range table {
			g.Output(NamesOf(p).NewV, newV[k])
		}
		g.Output(LossName, o.loss)
		g.Output(LogitsName, o.logits)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// StepInputNames returns the step graph's input names in the order of
// BuildStep's documentation.
func StepInputNames(m vit.Model) []string {
	names := tableNames(m, StepNames.param, StepNames.m, StepNames.v)
	return append(names, ImagesName, TargetsName, LRName, BC1Name, BC2Name)
}

// StepOutputNames returns the step graph's output names in the order of
// BuildStep's documentation.
func StepOutputNames(m vit.Model) []string {
	names := tableNames(m, StepNames.newParam, StepNames.newM, StepNames.newV)
	return append(names, LossName, LogitsName)
}

func (n StepNames) param() string    { return n.Param }
func (n StepNames) m() string        { return n.M }
func (n StepNames) v() string        { return n.V }
func (n StepNames) newParam() string { return n.NewParam }
func (n StepNames) newM() string     { return n.NewM }
func (n StepNames) newV() string     { return n.NewV }

// tableNames lists, for each field in turn, that name of every parameter.
func tableNames(m vit.Model, fields ...func(StepNames) string) []string {
	table := m.ParamTable()
	names := make([]string, 0, len(fields)*len(table))
	for _, f := range fields {
		for _, p := range table {
			names = append(names, f(NamesOf(p)))
		}
	}
	return names
}
