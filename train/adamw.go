package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// Objective is a scalar loss over a parameter table, appended to a graph
// whose parameters are inputs.
type Objective struct {
	Params []*graphgen.Value // aligned with the table
	Data   []*graphgen.Value // the batch's inputs, fed at every step
	Loss   *graphgen.Value   // rank 0
	Report []*graphgen.Value // further outputs every step returns (logits, loss terms)
	Grads  []*graphgen.Value // of Loss, aligned with Params
}

// ObjectiveBuilder appends an objective to g in dtype dt.
type ObjectiveBuilder func(g *graphgen.Graph, dt graphgen.DType) (Objective, error)

// BuildAdamW returns the graph of one AdamW step on the objective that
// build appends, with the parameters of table.
//
// Inputs, in order: every parameter, every first moment and every second
// moment, in table order and named by NamesOf; the objective's Data; and
// the rank-0 LRName, BC1Name and BC2Name. Outputs: the updated parameters,
// first and second moments in the same order, then LossName and the
// objective's Report values.
//
// The update is torch.optim.AdamW's, with g the gradient:
//
//	m ← β1·m + (1-β1)·g
//	v ← β2·v + (1-β2)·g²
//	p ← p·(1 - lr·wd)                        (only where Decays)
//	p ← p - lr·bc1·m / (√(v·bc2) + eps)
//
// √(v·bc2) equals torch's √v/√(1-β2^t).
func BuildAdamW(table []vit.ParamSpec, build ObjectiveBuilder, opts StepOptions) (*graphgen.Graph, Objective, error) {
	if opts.WeightDecay < 0 {
		return nil, Objective{}, fmt.Errorf("step graph: weight decay %g, want ≥ 0", opts.WeightDecay)
	}
	dt := opts.DType
	if dt == 0 {
		dt = graphgen.Float32
	}
	g := graphgen.New("asvit_train_step")
	g.ParamsAsInputs = true
	o, err := build(g, dt)
	if err != nil {
		return nil, o, err
	}
	if len(o.Params) != len(table) || len(o.Grads) != len(table) {
		return nil, o, fmt.Errorf("step graph: objective has %d parameters and %d gradients for a table of %d", len(o.Params), len(o.Grads), len(table))
	}
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
				grad := o.Grads[k]
				mk := g.Add(g.Scale(ms[k], AdamBeta1), g.Scale(grad, 1-AdamBeta1))
				vk := g.Add(g.Scale(vs[k], AdamBeta2), g.Scale(g.Mul(grad, grad), 1-AdamBeta2))
				denom := g.AddScalar(g.Sqrt(g.Mul(vk, bc2)), AdamEps)
				upd := g.Div(g.Mul(mk, step), denom)
				pk := o.Params[k]
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
		g.Output(LossName, o.Loss)
		for _, r := range o.Report {
			g.Output(r.Name(), r)
		}
	})
	if err != nil {
		return nil, o, err
	}
	return g, o, nil
}

// AdamWInputNames returns the inputs of BuildAdamW's graph in order.
func AdamWInputNames(table []vit.ParamSpec, o Objective) []string {
	names := tableNames(table, StepNames.param, StepNames.m, StepNames.v)
	for _, d := range o.Data {
		names = append(names, d.Name())
	}
	return append(names, LRName, BC1Name, BC2Name)
}

// AdamWOutputNames returns the outputs of BuildAdamW's graph in order.
func AdamWOutputNames(table []vit.ParamSpec, o Objective) []string {
	names := append(tableNames(table, StepNames.newParam, StepNames.newM, StepNames.newV), LossName)
	for _, r := range o.Report {
		names = append(names, r.Name())
	}
	return names
}

// AdamW runs AdamW steps of an objective on ONNX Runtime.
//
// The parameters and both moments live in two sets of tensors. A step feeds
// one set to the step graph and has Session.RunInto write the updated values
// straight into the other, then the two swap roles: no step copies a weight
// through Go. State returns views of the current set; they keep their values
// through the next step, which writes the other set, and the step after
// overwrites them.
//
// SetObjective swaps in another objective over the same table (progressive
// re-tokenization changes the graph, not the parameters) and keeps both
// tensor sets, so the weights, the moments and the step count carry over.
//
// An AdamW is not safe for concurrent use; Destroy releases it.
type AdamW struct {
	table []vit.ParamSpec
	wd    float64
	opts  ort.Options
	sets  [2][]*ort.Tensor // params, first moments, second moments (3n)
	cur   int              // the set holding the current state
	steps int              // AdamW steps taken

	data, report []*ort.Tensor
	lr, bc1, bc2 *ort.Tensor
	loss         *ort.Tensor
	session      *ort.Session
	in, out      [2][]*ort.Tensor
}

// NewAdamW creates the state tensors for table, holding weights (aligned
// with table) and zero moments at step 0. SetObjective must follow.
func NewAdamW(table []vit.ParamSpec, weights [][]float32, weightDecay float64, opts ort.Options) (a *AdamW, err error) {
	if weightDecay < 0 {
		return nil, fmt.Errorf("adamw: weight decay %g, want ≥ 0", weightDecay)
	}
	if len(weights) != len(table) {
		return nil, fmt.Errorf("adamw: got %d weight tensors, want %d", len(weights), len(table))
	}
	a = &AdamW{table: slices.Clone(table), wd: weightDecay, opts: opts}
	defer func() {
		if err != nil {
			a.Destroy()
		}
	}()
	for i := range a.sets {
		for range 3 {
			for _, p := range table {
				t, err := ort.ZerosFloat32(shape64(p.Shape))
				if err != nil {
					return nil, err
				}
				a.sets[i] = append(a.sets[i], t)
			}
		}
	}
	for _, t := range []**ort.Tensor{&a.lr, &a.bc1, &a.bc2, &a.loss} {
		if *t, err = ort.ZerosFloat32([]int64{}); err != nil {
			return nil, err
		}
	}
	if err := a.SetState(0, weights, nil, nil); err != nil {
		return nil, err
	}
	return a, nil
}

func shape64(shape []int) []int64 {
	out := make([]int64, len(shape))
	for i, d := range shape {
		out[i] = int64(d)
	}
	return out
}

// SetObjective builds the step session of the objective from build, which
// must declare the parameters of the table. The data and report tensors
// are reallocated when their shapes change.
func (a *AdamW) SetObjective(build ObjectiveBuilder) error {
	if a.sets[0] == nil {
		return errDestroyed
	}
	g, o, err := BuildAdamW(a.table, build, StepOptions{WeightDecay: a.wd})
	if err != nil {
		return err
	}
	model, err := g.Model()
	if err != nil {
		return err
	}
	session, err := ort.NewSession(model, AdamWInputNames(a.table, o), AdamWOutputNames(a.table, o), a.opts)
	if err != nil {
		return fmt.Errorf("step session: %w", err)
	}
	data, err := a.resize(a.data, o.Data)
	if err != nil {
		session.Destroy()
		return err
	}
	a.data = data
	if a.report, err = a.resize(a.report, o.Report); err != nil {
		session.Destroy()
		return err
	}
	a.session.Destroy()
	a.session = session
	for i := range a.sets {
		a.in[i] = append(append(slices.Clone(a.sets[i]), a.data...), a.lr, a.bc1, a.bc2)
		a.out[i] = append(append(slices.Clone(a.sets[1-i]), a.loss), a.report...)
	}
	return nil
}

// resize returns tensors shaped like values, keeping those of have that
// already are and destroying the others.
func (a *AdamW) resize(have []*ort.Tensor, values []*graphgen.Value) ([]*ort.Tensor, error) {
	out := make([]*ort.Tensor, len(values))
	for i, v := range values {
		if i < len(have) && slices.Equal(have[i].Shape(), shape64(v.Shape())) {
			out[i], have[i] = have[i], nil
			continue
		}
		t, err := ort.ZerosFloat32(shape64(v.Shape()))
		if err != nil {
			ort.DestroyAll(out)
			return nil, err
		}
		out[i] = t
	}
	ort.DestroyAll(have)
	return out, nil
}

// Data returns the views the caller fills with a batch before Step, in the
// objective's Data order.
func (a *AdamW) Data() [][]float32 {
	views := make([][]float32, len(a.data))
	for i, t := range a.data {
		views[i] = t.Float32s()
	}
	return views
}

// Report returns the views of the objective's Report values as the last
// step computed them (before its update).
func (a *AdamW) Report() [][]float32 {
	views := make([][]float32, len(a.report))
	for i, t := range a.report {
		views[i] = t.Float32s()
	}
	return views
}

// Step runs one AdamW step on the batch in Data at learning rate lr and
// returns the loss before the update. A non-finite loss fails the step and
// keeps the parameters, moments and step count as they were.
func (a *AdamW) Step(lr float64) (float64, error) {
	if a.session == nil {
		return 0, errDestroyed
	}
	t := float64(a.steps + 1)
	a.lr.Float32s()[0] = float32(lr)
	a.bc1.Float32s()[0] = float32(1 / (1 - math.Pow(AdamBeta1, t)))
	a.bc2.Float32s()[0] = float32(1 / (1 - math.Pow(AdamBeta2, t)))
	if err := a.session.RunInto(a.in[a.cur], a.out[a.cur]); err != nil {
		return 0, err
	}
	// The step wrote the other set; a non-finite loss leaves it unused, so
	// the current state stays as it was.
	loss := float64(a.loss.Float32s()[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, fmt.Errorf("step %d: loss is %v; check the inputs or lower the learning rate", a.steps+1, loss)
	}
	a.cur, a.steps = 1-a.cur, a.steps+1
	return loss, nil
}

// Steps returns the number of AdamW steps taken.
func (a *AdamW) Steps() int {
	if a == nil {
		return 0
	}
	return a.steps
}

// Params returns the tensors of the current parameters, aligned with the
// table, for an evaluation session to read.
func (a *AdamW) Params() []*ort.Tensor { return a.sets[a.cur][:len(a.table)] }

// State returns views of the current parameters and first and second
// moments, aligned with the table, and the step count. The views stay
// valid until Destroy, but a later Step overwrites them.
func (a *AdamW) State() (steps int, params, m, v [][]float32) {
	n := len(a.table)
	views := make([][]float32, 3*n)
	for i, t := range a.sets[a.cur] {
		views[i] = t.Float32s()
	}
	return a.steps, views[:n], views[n : 2*n], views[2*n:]
}

// SetState copies params and the moments into the current set and sets the
// step count; nil moments mean zeros.
func (a *AdamW) SetState(steps int, params, m, v [][]float32) error {
	if steps < 0 {
		return fmt.Errorf("set state: step %d is negative", steps)
	}
	n := len(a.table)
	set := a.sets[a.cur]
	for part, src := range [][][]float32{params, m, v} {
		if src != nil && len(src) != n {
			return fmt.Errorf("set state: got %d tensors in part %d, want %d", len(src), part, n)
		}
		for k := range n {
			dst := set[part*n+k].Float32s()
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
	a.steps = steps
	return nil
}

// Destroy releases the session and tensors. It is safe on a partly built
// AdamW and when repeated.
func (a *AdamW) Destroy() {
	if a == nil {
		return
	}
	a.session.Destroy()
	for i := range a.sets {
		ort.DestroyAll(a.sets[i])
	}
	ort.DestroyAll(a.data)
	ort.DestroyAll(a.report)
	ort.DestroyAll([]*ort.Tensor{a.lr, a.bc1, a.bc2, a.loss})
	*a = AdamW{}
}
