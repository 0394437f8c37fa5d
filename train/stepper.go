package train

import (
	"errors"
	"fmt"
	"math"
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

// Stepper runs AdamW training steps and evaluations of one model on ONNX
// Runtime.
//
// # Ping-pong
//
// The parameters and both moments live in two sets of tensors. A step feeds
// one set to the step graph and has Session.RunInto write the updated values
// straight into the other, then the two swap roles: no step copies a weight
// through Go. State returns views of the current set; they keep their values
// through the next step, which writes the other set, and the step after
// overwrites them.
//
// # Phases
//
// SetModel swaps in a model of the same parameter table with another patch
// stride and dilation (progressive re-tokenization): it rebuilds the step
// and evaluation sessions and keeps both tensor sets, so the weights, the
// moments and the step count carry over.
//
// A Stepper is not safe for concurrent use; Destroy releases it.
type Stepper struct {
	opts  StepperOptions
	model vit.Model
	n     int              // parameter tensors
	sets  [2][]*ort.Tensor // params, first moments, second moments (3n)
	cur   int              // the set holding the current state
	steps int              // AdamW steps taken

	images, targets, lr, bc1, bc2 *ort.Tensor
	loss, logits                  *ort.Tensor
	step, eval                    *ort.Session
	// in[i] and out[i] are the step's inputs and outputs when set i holds
	// the current state.
	in, out [2][]*ort.Tensor
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
	table := m.ParamTable()
	if len(weights) != len(table) {
		return nil, fmt.Errorf("stepper: got %d weight tensors, want %d", len(weights), len(table))
	}
	s = &Stepper{opts: opts, n: len(table)}
	defer func() {
		if err != nil {
			s.Destroy()
		}
	}()
	for i := range s.sets {
		for range 3 {
			for _, p := range table {
				t, err := ort.ZerosFloat32(shape64(p.Shape))
				if err != nil {
					return nil, err
				}
				s.sets[i] = append(s.sets[i], t)
			}
		}
	}
	if err := s.SetState(0, weights, nil, nil); err != nil {
		return nil, err
	}
	spec := m.Spec()
	b := int64(opts.Batch)
	for _, t := range []struct {
		dst   **ort.Tensor
		shape []int64
	}{
		{&s.images, []int64{b, int64(spec.Channels), int64(spec.Image), int64(spec.Image)}},
		{&s.targets, []int64{b, int64(spec.Classes)}},
		{&s.logits, []int64{b, int64(spec.Classes)}},
		{&s.lr, []int64{}}, {&s.bc1, []int64{}}, {&s.bc2, []int64{}}, {&s.loss, []int64{}},
	} {
		if *t.dst, err = ort.ZerosFloat32(t.shape); err != nil {
			return nil, err
		}
	}
	for i := range s.sets {
		s.in[i] = append(slices.Clone(s.sets[i]), s.images, s.targets, s.lr, s.bc1, s.bc2)
		s.out[i] = append(slices.Clone(s.sets[1-i]), s.loss, s.logits)
	}
	if err := s.SetModel(m); err != nil {
		return nil, err
	}
	return s, nil
}

func shape64(shape []int) []int64 {
	out := make([]int64, len(shape))
	for i, d := range shape {
		out[i] = int64(d)
	}
	return out
}

// SetModel builds the step and evaluation sessions for m, which must have
// the parameter shapes and the input of the current model (it may differ in
// patch stride and dilation).
func (s *Stepper) SetModel(m vit.Model) error {
	if s.step != nil {
		if err := sameShapes(s.model, m); err != nil {
			return err
		}
	}
	g, err := BuildStep(m, StepOptions{Batch: s.opts.Batch, WeightDecay: s.opts.WeightDecay})
	if err != nil {
		return err
	}
	stepModel, err := g.Model()
	if err != nil {
		return err
	}
	step, err := ort.NewSession(stepModel, StepInputNames(m), StepOutputNames(m), s.opts.ORT)
	if err != nil {
		return fmt.Errorf("step session: %w", err)
	}
	eg, err := m.Graph(vit.GraphConfig{ForwardOptions: vit.ForwardOptions{Output: vit.Logits}, Batch: s.opts.Batch, DynamicBatch: true})
	if err != nil {
		step.Destroy()
		return err
	}
	evalModel, err := eg.Model()
	if err != nil {
		step.Destroy()
		return err
	}
	names := tableNames(m, StepNames.param)
	eval, err := ort.NewSession(evalModel, append(names, vit.InputName), []string{vit.LogitsName}, s.opts.ORT)
	if err != nil {
		step.Destroy()
		return fmt.Errorf("evaluation session: %w", err)
	}
	s.step.Destroy()
	s.eval.Destroy()
	s.step, s.eval, s.model = step, eval, m
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
func (s *Stepper) Steps() int { return s.steps }

// State returns views of the current parameters and first and second
// moments, aligned with the ParamTable, and the step count. The views stay
// valid until the stepper is destroyed, but a later Step overwrites them.
func (s *Stepper) State() (steps int, params, m, v [][]float32) {
	views := make([][]float32, 3*s.n)
	for i, t := range s.sets[s.cur] {
		views[i] = t.Float32s()
	}
	return s.steps, views[:s.n], views[s.n : 2*s.n], views[2*s.n:]
}

// SetState copies params and the moments into the current set and sets the
// step count; nil moments mean zeros.
func (s *Stepper) SetState(steps int, params, m, v [][]float32) error {
	if steps < 0 {
		return fmt.Errorf("set state: step %d is negative", steps)
	}
	set := s.sets[s.cur]
	for part, src := range [][][]float32{params, m, v} {
		if src != nil && len(src) != s.n {
			return fmt.Errorf("set state: got %d tensors in part %d, want %d", len(src), part, s.n)
		}
		for k := range s.n {
			dst := set[part*s.n+k].Float32s()
			if src == nil {
				clear(dst)
				continue
			}
			if len(src[k]) != len(dst) {
				return fmt.Errorf("set state: tensor %d of part %d has %d values, want %d", k, part, len(src[k]), len(dst))
			}
			copy(dst, src[k])
		}
	}
	s.steps = steps
	return nil
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
	if s.step == nil {
		return StepResult{}, errDestroyed
	}
	if len(labels) != s.opts.Batch || len(images) != len(s.images.Float32s()) {
		return StepResult{}, fmt.Errorf("step: got %d labels and %d image values, want a full batch of %d (%d values)",
			len(labels), len(images), s.opts.Batch, len(s.images.Float32s()))
	}
	copy(s.images.Float32s(), images)
	classes := s.model.Spec().Classes
	if err := Targets(s.targets.Float32s(), labels, classes, s.opts.LabelSmoothing); err != nil {
		return StepResult{}, err
	}
	t := float64(s.steps + 1)
	s.lr.Float32s()[0] = float32(lr)
	s.bc1.Float32s()[0] = float32(1 / (1 - math.Pow(AdamBeta1, t)))
	s.bc2.Float32s()[0] = float32(1 / (1 - math.Pow(AdamBeta2, t)))
	if err := s.step.RunInto(s.in[s.cur], s.out[s.cur]); err != nil {
		return StepResult{}, err
	}
	// The step wrote the other set; a non-finite loss leaves it unused, so
	// the current state stays as it was.
	loss := float64(s.loss.Float32s()[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return StepResult{}, fmt.Errorf("step %d: loss is %v; check the inputs or lower the learning rate", s.steps+1, loss)
	}
	s.cur, s.steps = 1-s.cur, s.steps+1
	return StepResult{Loss: loss, Correct: Correct(s.logits.Float32s(), labels, classes)}, nil
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
	in := append(slices.Clone(s.sets[s.cur][:s.n]), x)
	return s.eval.RunInto(in, []*ort.Tensor{y})
}

// Destroy releases the sessions and tensors. It is safe on a stepper that
// was only partly built and when repeated.
func (s *Stepper) Destroy() {
	if s == nil {
		return
	}
	s.step.Destroy()
	s.eval.Destroy()
	for i := range s.sets {
		ort.DestroyAll(s.sets[i])
	}
	ort.DestroyAll([]*ort.Tensor{s.images, s.targets, s.lr, s.bc1, s.bc2, s.loss, s.logits})
	*s = Stepper{}
}

var errDestroyed = errors.New("the stepper is destroyed")
