package detect

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
)

// Loss constants.
const (
	// ProbEps keeps log p and log(1-p) finite: the heatmap probability is
	// squeezed to ProbEps + (1-2·ProbEps)·σ(z), a smooth form of
	// CenterNet's clamp to [1e-4, 1-1e-4].
	ProbEps = 1e-4
	// BoxDelta is the Charbonnier loss's δ: √(d²+δ²)-δ is L1 away from 0
	// and smooth at 0.
	BoxDelta = 0.01
	// BoxWeight weighs the box loss against the heatmap loss.
	BoxWeight = 1.0
)

// Names of the objective's inputs and outputs other than the parameters.
const (
	ImagesName    = "images"
	PositiveName  = "positive"
	NegWeightName = "neg_weight"
	BoxTargetName = "box_target"
	BoxMaskName   = "box_mask"
	NormName      = "inv_objects" // 1/max(1, Targets.Objects)
	HeatmapName   = "heatmap"
	BoxName       = "box"
	HeatLossName  = "heatmap_loss"
	BoxLossName   = "box_loss"
	LossName      = "loss"
)

// Objective is the detector's training loss on one batch with the gradient
// of every parameter.
type Objective struct {
	Params                               []*graphgen.Value // aligned with ParamTable
	Images                               *graphgen.Value
	Positive, NegWeight, BoxTarget, Mask *graphgen.Value // see Targets
	Norm                                 *graphgen.Value // rank 0
	Out                                  Outputs
	HeatLoss, BoxLoss, Loss              *graphgen.Value // rank 0
	Grads                                []*graphgen.Value
}

// BuildObjective appends the loss of m on a batch and its gradients to g,
// whose parameters must be inputs:
//
//	heatmap = -(1/N) Σ [pos·(1-p)²·log p + negw·p²·log(1-p)]    (α=2, β=4 in negw)
//	box     =  (1/N) Σ mask·(√((b-t)²+δ²) - δ)
//	loss    = heatmap + BoxWeight·box
//
// with p the squeezed sigmoid of the heatmap logits (see ProbEps), N the
// number of objects (NormName is 1/max(1, N)), and b the box branch.
func (m Model) BuildObjective(g *graphgen.Graph, dt graphgen.DType, batch int) (Objective, error) {
	var o Objective
	if !g.ParamsAsInputs {
		return o, fmt.Errorf("detector objective: the graph must take its parameters as inputs")
	}
	if batch < 1 {
		return o, fmt.Errorf("detector objective: batch %d, want ≥ 1", batch)
	}
	bs := m.backbone.Spec()
	s := m.OutputSide()
	err := graphgen.Catch(func() {
		for _, p := range m.ParamTable() {
			o.Params = append(o.Params, g.Param(p.Name, dt, p.Shape, nil))
		}
		o.Images = g.Input(ImagesName, dt, batch, bs.Channels, bs.Image, bs.Image)
		o.Positive = g.Input(PositiveName, dt, batch, m.classes, s, s)
		o.NegWeight = g.Input(NegWeightName, dt, batch, m.classes, s, s)
		o.BoxTarget = g.Input(BoxTargetName, dt, batch, BoxChannels, s, s)
		o.Mask = g.Input(BoxMaskName, dt, batch, 1, s, s)
		o.Norm = g.Input(NormName, dt)
	})
	if err != nil {
		return o, err
	}
	if o.Out, err = m.Forward(g, o.Images, o.Params); err != nil {
		return o, err
	}
	err = graphgen.Catch(func() {
		g.Scope("loss", func() {
			one := g.Scalar(dt, 1)
			sig := g.AddScalar(g.Scale(g.Tanh(g.Scale(o.Out.Heatmap, 0.5)), 0.5), 0.5)
			p := g.AddScalar(g.Scale(sig, 1-2*ProbEps), ProbEps)
			q := g.Sub(one, p)
			pos := g.Mul(o.Positive, g.Mul(g.Mul(q, q), g.Log(p)))
			neg := g.Mul(o.NegWeight, g.Mul(g.Mul(p, p), g.Log(q)))
			o.HeatLoss = g.Neg(g.Mul(g.ReduceSum(g.Add(pos, neg), false), o.Norm))
			d := g.Sub(o.Out.Box, o.BoxTarget)
			charb := g.AddScalar(g.Sqrt(g.AddScalar(g.Mul(d, d), BoxDelta*BoxDelta)), -BoxDelta)
			o.BoxLoss = g.Mul(g.ReduceSum(g.Mul(o.Mask, charb), false), o.Norm)
			o.Loss = g.Add(o.HeatLoss, g.Scale(o.BoxLoss, BoxWeight))
		})
	})
	if err != nil {
		return o, err
	}
	o.Grads, err = graphgen.VJP([]*graphgen.Value{o.Loss}, nil, o.Params)
	return o, err
}

// Feeds returns the target tensors of t in the objective's input order:
// Positive, NegWeight, BoxTarget, Mask and Norm.
func (t *Targets) Feeds() [][]float32 {
	return [][]float32{t.Positive, t.NegWeight, t.Box, t.BoxMask, {1 / float32(max(1, t.Objects))}}
}
