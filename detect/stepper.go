package detect

import (
	"fmt"
	"slices"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/train"
)

// Stepper trains a detector with train.AdamW and runs its forward pass.
// SetModel swaps in another backbone geometry (progressive
// re-tokenization) and keeps the weights, moments and step count.
//
// A Stepper is not safe for concurrent use; Destroy releases it.
type Stepper struct {
	model   Model
	batch   int
	adamw   *train.AdamW
	targets *Targets
	eval    *ort.Session
}

// StepResult is what one step reports, before its update.
type StepResult struct {
	Loss, HeatmapLoss, BoxLoss float64
}

// NewStepper creates the tensors and sessions for training m from weights
// (aligned with m.ParamTable) with zero moments at step 0.
func NewStepper(m Model, weights [][]float32, batch int, weightDecay float64, opts ort.Options) (*Stepper, error) {
	if batch < 1 {
		return nil, fmt.Errorf("detector stepper: batch %d, want ≥ 1", batch)
	}
	a, err := train.NewAdamW(m.ParamTable(), weights, weightDecay, opts)
	if err != nil {
		return nil, fmt.Errorf("detector stepper: %w", err)
	}
	s := &Stepper{batch: batch, adamw: a}
	if err := s.SetModel(m, opts); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

// SetModel builds the step and forward sessions for m, which must have the
// current model's parameters.
func (s *Stepper) SetModel(m Model, opts ort.Options) error {
	if s.eval != nil && !sameTables(s.model.ParamTable(), m.ParamTable()) {
		return fmt.Errorf("detector stepper: the new model has other parameters")
	}
	eg, err := m.Graph(s.batch, graphgen.Float32, nil)
	if err != nil {
		return err
	}
	model, err := eg.Model()
	if err != nil {
		return err
	}
	eval, err := ort.NewSession(model, ForwardInputNames(m), []string{HeatmapName, BoxName}, opts)
	if err != nil {
		return fmt.Errorf("detector forward session: %w", err)
	}
	err = s.adamw.SetObjective(func(g *graphgen.Graph, dt graphgen.DType) (train.Objective, error) {
		o, err := m.BuildObjective(g, dt, s.batch)
		return train.Objective{
			Params: o.Params,
			Data:   []*graphgen.Value{o.Images, o.Positive, o.NegWeight, o.BoxTarget, o.Mask, o.Norm},
			Loss:   o.Loss,
			Report: []*graphgen.Value{o.HeatLoss, o.BoxLoss},
			Grads:  o.Grads,
		}, err
	})
	if err != nil {
		eval.Destroy()
		return err
	}
	s.eval.Destroy()
	s.eval, s.model = eval, m
	s.targets = m.Encoder(s.batch).NewTargets()
	return nil
}

// Model returns the model of the current sessions.
func (s *Stepper) Model() Model { return s.model }

// AdamW returns the optimiser, for its state.
func (s *Stepper) AdamW() *train.AdamW { return s.adamw }

// Step runs one AdamW step on a full batch of images (B×C×R×R, normalised)
// with their boxes at learning rate lr.
func (s *Stepper) Step(images []float32, boxes [][]Box, lr float64) (StepResult, error) {
	if s.eval == nil {
		return StepResult{}, errDestroyed
	}
	data := s.adamw.Data()
	if len(images) != len(data[0]) || len(boxes) != s.batch {
		return StepResult{}, fmt.Errorf("detector step: got %d image values and %d box lists, want a full batch of %d (%d values)",
			len(images), len(boxes), s.batch, len(data[0]))
	}
	if err := s.model.Encoder(s.batch).Encode(boxes, s.targets); err != nil {
		return StepResult{}, err
	}
	copy(data[0], images)
	for i, t := range s.targets.Feeds() {
		copy(data[1+i], t)
	}
	loss, err := s.adamw.Step(lr)
	if err != nil {
		return StepResult{}, err
	}
	r := s.adamw.Report()
	return StepResult{Loss: loss, HeatmapLoss: float64(r[0][0]), BoxLoss: float64(r[1][0])}, nil
}

// Forward writes the heatmap logits and box outputs of a full batch of
// images with the current weights.
func (s *Stepper) Forward(images, heatmap, box []float32) error {
	if s.eval == nil {
		return errDestroyed
	}
	return runForward(s.eval, s.model, s.batch, s.adamw.Params(), images, heatmap, box)
}

// runForward runs a forward session of m (the parameters, then the images
// as inputs) on a full batch, writing its outputs into heatmap and box.
func runForward(session *ort.Session, m Model, batch int, params []*ort.Tensor, images, heatmap, box []float32) error {
	bs := m.backbone.Spec()
	side, b := int64(m.OutputSide()), int64(batch)
	x, err := ort.NewFloat32([]int64{b, int64(bs.Channels), int64(bs.Image), int64(bs.Image)}, images)
	if err != nil {
		return fmt.Errorf("detector forward: %w", err)
	}
	defer x.Destroy()
	h, err := ort.NewFloat32([]int64{b, int64(m.classes), side, side}, heatmap)
	if err != nil {
		return fmt.Errorf("detector forward: %w", err)
	}
	defer h.Destroy()
	bx, err := ort.NewFloat32([]int64{b, BoxChannels, side, side}, box)
	if err != nil {
		return fmt.Errorf("detector forward: %w", err)
	}
	defer bx.Destroy()
	return session.RunInto(append(slices.Clone(params), x), []*ort.Tensor{h, bx})
}

// Destroy releases the sessions and tensors; safe when repeated.
func (s *Stepper) Destroy() {
	if s == nil {
		return
	}
	s.eval.Destroy()
	s.adamw.Destroy()
	*s = Stepper{}
}

var errDestroyed = fmt.Errorf("the detector stepper is destroyed")
