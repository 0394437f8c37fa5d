package train

import (
	"errors"
	"fmt"
	"slices"

	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// StepperOptions configure a Stepper.
type StepperOptions struct {
	Batch          int
	WeightDecay    float64
	LabelSmoothing float64 // ε of Targets, in [0, 1)
	ORT            ort.Options
}

// Stepper trains one classifier with AdamW (see AdamW for how the state
// lives in ONNX Runtime tensors) and evaluates it.
//
// SetModel swaps in a model of the same parameter table with another patch
// stride and dilation (progressive re-tokenization): it rebuilds the step
// and evaluation sessions and keeps the weights, the moments and the step
// count.
//
// A Stepper is not safe for concurrent use; Destroy releases it.
type Stepper struct {
	opts  StepperOptions
	model vit.Model
	adamw *AdamW
	eval  *ort.Session
}

// NewStepper creates the tensors and sessions for training m from weights
// (aligned with m.ParamTable) with zero moments at step 0.
func NewStepper(m vit.Model, weights [][]float32, opts StepperOptions) (s *Stepper, err error) {
	if opts.Batch < 1 {
		return nil, fmt.Errorf("stepper: batch %d, want ≥ 1", opts.Batch)
	}
	if !(opts.LabelSmoothing >= 0 && opts.LabelSmoothing < 1) {
		return nil, fmt.Errorf("stepper: label smoothing %g, want a value in [0, 1)", opts.LabelSmoothing)
	}
	a, err := NewAdamW(m.ParamTable(), weights, opts.WeightDecay, opts.ORT)
	if err != nil {
		return nil, fmt.Errorf("stepper: %w", err)
	}
	s = &Stepper{opts: opts, adamw: a}
	if err := s.SetModel(m); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

// SetModel builds the step and evaluation sessions for m, which must have
// the parameter shapes and the input of the current model (it may differ in
// patch stride and dilation).
func (s *Stepper) SetModel(m vit.Model) error {
	if s.eval != nil {
		if err := sameShapes(s.model, m); err != nil {
			return err
		}
	}
	eg, err := m.Graph(vit.GraphConfig{ForwardOptions: vit.ForwardOptions{Output: vit.Logits}, Batch: s.opts.Batch, DynamicBatch: true})
	if err != nil {
		return err
	}
	evalModel, err := eg.Model()
	if err != nil {
		return err
	}
	names := tableNames(m.ParamTable(), StepNames.param)
	eval, err := ort.NewSession(evalModel, append(names, vit.InputName), []string{vit.LogitsName}, s.opts.ORT)
	if err != nil {
		return fmt.Errorf("evaluation session: %w", err)
	}
	if err := s.adamw.SetObjective(classification(m, s.opts.Batch)); err != nil {
		eval.Destroy()
		return err
	}
	s.eval.Destroy()
	s.eval, s.model = eval, m
	return nil
}

// sameShapes checks that b can take a's weights and batches.
func sameShapes(a, b vit.Model) error {
	ta, tb := a.ParamTable(), b.ParamTable()
	if len(ta) != len(tb) {
		return fmt.Errorf("new model has %d parameter tensors, the current one %d", len(tb), len(ta))
	}
	for k := range ta {
		if ta[k].Name != tb[k].Name || !slices.Equal(ta[k].Shape, tb[k].Shape) {
			return fmt.Errorf("new model's parameter %d is %s %v, the current one's is %s %v", k, tb[k].Name, tb[k].Shape, ta[k].Name, ta[k].Shape)
		}
	}
	sa, sb := a.Spec(), b.Spec()
	if sa.Image != sb.Image || sa.Channels != sb.Channels {
		return fmt.Errorf("new model takes %d×%d×%d inputs, the current one %d×%d×%d", sb.Channels, sb.Image, sb.Image, sa.Channels, sa.Image, sa.Image)
	}
	return nil
}

// Model returns the model of the current sessions.
func (s *Stepper) Model() vit.Model { return s.model }

// Steps returns the number of AdamW steps taken.
func (s *Stepper) Steps() int { return s.adamw.Steps() }

// State returns views of the current parameters and moments; see
// AdamW.State.
func (s *Stepper) State() (steps int, params, m, v [][]float32) { return s.adamw.State() }

// SetState copies params and the moments in; see AdamW.SetState.
func (s *Stepper) SetState(steps int, params, m, v [][]float32) error {
	return s.adamw.SetState(steps, params, m, v)
}

// Targets writes into dst (len(labels)×classes) the smoothed one-hot
// distribution q = (1-ε)·onehot(label) + ε/classes, as PyTorch's
// cross-entropy with label_smoothing ε uses.
func Targets(dst []float32, labels []int64, classes int, eps float64) error {
	if len(dst) != len(labels)*classes {
		return fmt.Errorf("targets: buffer of %d values for %d labels × %d classes", len(dst), len(labels), classes)
	}
	off := float32(eps / float64(classes))
	on := float32(1-eps) + off
	for i, l := range labels {
		if l < 0 || l >= int64(classes) {
			return fmt.Errorf("targets: label %d of item %d is outside 0..%d", l, i, classes-1)
		}
		row := dst[i*classes : (i+1)*classes]
		for c := range row {
			row[c] = off
		}
		row[l] = on
	}
	return nil
}

// StepResult is what one training step reports.
type StepResult struct {
	Loss    float64 // mean smoothed cross-entropy of the batch, before the update
	Correct int     // images whose largest logit is at their label, before the update
}

// Step runs one AdamW step on a full batch (images N×C×R×R, normalised, N
// = the stepper's batch) at learning rate lr. A non-finite loss fails the
// step and keeps the parameters, moments and step count as they were.
func (s *Stepper) Step(images []float32, labels []int64, lr float64) (StepResult, error) {
	if s.eval == nil {
		return StepResult{}, errDestroyed
	}
	data := s.adamw.Data()
	if len(labels) != s.opts.Batch || len(images) != len(data[0]) {
		return StepResult{}, fmt.Errorf("step: got %d labels and %d image values, want a full batch of %d (%d values)",
			len(labels), len(images), s.opts.Batch, len(data[0]))
	}
	copy(data[0], images)
	classes := s.model.Spec().Classes
	if err := Targets(data[1], labels, classes, s.opts.LabelSmoothing); err != nil {
		return StepResult{}, err
	}
	loss, err := s.adamw.Step(lr)
	if err != nil {
		return StepResult{}, err
	}
	return StepResult{Loss: loss, Correct: Correct(s.adamw.Report()[0], labels, classes)}, nil
}

// Correct counts the rows of logits (N×classes) whose largest entry, the
// first one on ties, is at the row's label.
func Correct(logits []float32, labels []int64, classes int) int {
	n := 0
	for i, l := range labels {
		row := logits[i*classes : (i+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if int64(best) == l {
			n++
		}
	}
	return n
}

// Logits writes the current model's logits for n images (n×C×R×R values,
// any n ≥ 1) into dst (n×classes).
func (s *Stepper) Logits(images []float32, n int, dst []float32) error {
	if s.eval == nil {
		return errDestroyed
	}
	spec := s.model.Spec()
	per := spec.Channels * spec.Image * spec.Image
	if n < 1 || len(images) != n*per || len(dst) != n*spec.Classes {
		return fmt.Errorf("logits: %d images need %d input and %d output values, got %d and %d", n, n*per, n*spec.Classes, len(images), len(dst))
	}
	x, err := ort.NewFloat32([]int64{int64(n), int64(spec.Channels), int64(spec.Image), int64(spec.Image)}, images)
	if err != nil {
		return err
	}
	defer x.Destroy()
	y, err := ort.NewFloat32([]int64{int64(n), int64(spec.Classes)}, dst)
	if err != nil {
		return err
	}
	defer y.Destroy()
	in := append(slices.Clone(s.adamw.Params()), x)
	return s.eval.RunInto(in, []*ort.Tensor{y})
}

// Destroy releases the sessions and tensors. It is safe on a stepper that
// was only partly built and when repeated.
func (s *Stepper) Destroy() {
	if s == nil {
		return
	}
	s.eval.Destroy()
	s.adamw.Destroy()
	*s = Stepper{}
}

var errDestroyed = errors.New("the stepper is destroyed")
