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

// classification is the forward pass of m on a batch with the smoothed
// cross-entropy and its gradients. Data: ImagesName [B, C, R, R] and
// TargetsName [B, classes], the target distribution (a smoothed one-hot;
// see Targets); Report: LogitsName. The loss is mean_b -Σ_c
// q_bc·log softmax(z_b)_c.
func classification(m vit.Model, batch int) ObjectiveBuilder {
	return func(g *graphgen.Graph, dt graphgen.DType) (Objective, error) {
		var o Objective
		s := m.Spec()
		params, err := m.DeclareParams(g, dt, nil)
		if err != nil {
			return o, err
		}
		o.Params = params
		var images, targets *graphgen.Value
		err = graphgen.Catch(func() {
			images = g.Input(ImagesName, dt, batch, s.Channels, s.Image, s.Image)
			targets = g.Input(TargetsName, dt, batch, s.Classes)
		})
		if err != nil {
			return o, err
		}
		o.Data = []*graphgen.Value{images, targets}
		outs, err := m.Forward(g, images, params, vit.ForwardOptions{Output: vit.Logits})
		if err != nil {
			return o, err
		}
		logits := outs[0]
		o.Report = []*graphgen.Value{logits}
		err = graphgen.Catch(func() {
			g.Scope("loss", func() {
				logp := g.LogSoftmax(logits, -1)
				o.Loss = g.Scale(g.ReduceSum(g.Mul(targets, logp), false), -1/float64(batch))
			})
		})
		if err != nil {
			return o, err
		}
		o.Grads, err = graphgen.VJP([]*graphgen.Value{o.Loss}, nil, params)
		return o, err
	}
}

// BuildStep returns the graph of one AdamW training step of m on a batch
// (see BuildAdamW): forward pass, smoothed cross-entropy, gradients of
// every parameter and the update. Its data inputs are ImagesName [B, C, R,
// R] and TargetsName [B, classes] (see Targets), and it reports LogitsName
// [B, classes].
func BuildStep(m vit.Model, opts StepOptions) (*graphgen.Graph, error) {
	if opts.Batch < 1 {
		return nil, fmt.Errorf("step graph: batch %d, want ≥ 1", opts.Batch)
	}
	g, _, err := BuildAdamW(m.ParamTable(), classification(m, opts.Batch), opts)
	return g, err
}

func (n StepNames) param() string    { return n.Param }
func (n StepNames) m() string        { return n.M }
func (n StepNames) v() string        { return n.V }
func (n StepNames) newParam() string { return n.NewParam }
func (n StepNames) newM() string     { return n.NewM }
func (n StepNames) newV() string     { return n.NewV }

// tableNames lists, for each field in turn, that name of every parameter.
func tableNames(table []vit.ParamSpec, fields ...func(StepNames) string) []string {
	names := make([]string, 0, len(fields)*len(table))
	for _, f := range fields {
		for _, p := range table {
			names = append(names, f(NamesOf(p)))
		}
	}
	return names
}
