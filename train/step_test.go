package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/internal/fdcheck"
	"github.com/asvit/asvit/vit"
)

// tinyModel is tinyArch on 1×16×16 inputs at patch stride 2 (resolutions
// 8, 4, 2, 1) with 3 classes: small enough for the float64 interpreter.
func tinyModel(tb testing.TB) vit.Model { return newModel(tb, tinyArch, 16, 1, 3, 2) }

// reference evaluates the objective of m in float64 with the reference
// interpreter: loss, logits and the gradient of every parameter.
type reference struct {
	m     vit.Model
	o     Objective
	feeds map[*graphgen.Value][]float64
}

func newReference(tb testing.TB, m vit.Model, weights [][]float32, x []float32, targets []float32, batch int) *reference {
	tb.Helper()
	g := graphgen.New("reference")
	g.ParamsAsInputs = true
	o, err := classification(m, batch)(g, graphgen.Float64)
	if err != nil {
		tb.Fatal(err)
	}
	r := &reference{m: m, o: o, feeds: map[*graphgen.Value][]float64{}}
	for k, p := range o.Params {
		r.feeds[p] = widen(weights[k])
	}
	r.feeds[o.Data[0]], r.feeds[o.Data[1]] = widen(x), widen(targets)
	return r
}

func widen(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

// run returns the loss, the logits and the gradients.
func (r *reference) run(tb testing.TB) (float64, []float64, [][]float64) {
	tb.Helper()
	outs, err := eval.Run(append([]*graphgen.Value{r.o.Loss, r.o.Report[0]}, r.o.Grads...), r.feeds)
	if err != nil {
		tb.Fatal(err)
	}
	return outs[0][0], outs[1], outs[2:]
}

// lossAt returns the loss with every parameter moved by h·dir.
func (r *reference) lossAt(tb testing.TB, dir [][]float64, h float64) float64 {
	tb.Helper()
	feeds := map[*graphgen.Value][]float64{r.o.Data[0]: r.feeds[r.o.Data[0]], r.o.Data[1]: r.feeds[r.o.Data[1]]}
	for k, p := range r.o.Params {
		moved := make([]float64, len(dir[k]))
		for i, v := range r.feeds[p] {
			moved[i] = v + h*dir[k][i]
		}
		feeds[p] = moved
	}
	outs, err := eval.Run([]*graphgen.Value{r.o.Loss}, feeds)
	if err != nil {
		tb.Fatal(err)
	}
	return outs[0][0]
}

// smoothedLoss is the cross-entropy against targets computed directly from
// logits (both batch×classes).
func smoothedLoss(logits []float64, targets []float32, classes int) float64 {
	sum := 0.0
	batch := len(logits) / classes
	for b := range batch {
		row := logits[b*classes : (b+1)*classes]
		hi := math.Inf(-1)
		for _, v := range row {
			hi = math.Max(hi, v)
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(v - hi)
		}
		for c, v := range row {
			sum -= float64(targets[b*classes+c]) * (v - hi - math.Log(z))
		}
	}
	return sum / float64(batch)
}

// TestLossGradientMatchesFiniteDifferences checks, in float64, the
// gradient of the smoothed cross-entropy with respect to all parameters
// along random directions against central differences of the loss.
func TestLossGradientMatchesFiniteDifferences(t *testing.T) {
	m := tinyModel(t)
	const batch, eps = 3, 0.1
	x, labels := randomBatch(3, batch, 16*16, 3)
	targets := make([]float32, batch*3)
	if err := Targets(targets, labels, 3, eps); err != nil {
		t.Fatal(err)
	}
	ref := newReference(t, m, m.Init(5), x, targets, batch)
	loss, logits, grads := ref.run(t)
	// The graph's loss against the formula computed here from its logits:
	// both are float64, so only rounding separates them.
	if want := smoothedLoss(logits, targets, 3); math.Abs(loss-want) > 1e-12 {
		t.Fatalf("loss %.15g, computed from the logits %.15g", loss, want)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 3 {
		dir, dot := fdcheck.UnitDirection(r, grads)
		const h = 1e-4
		fd := (ref.lossAt(t, dir, h) - ref.lossAt(t, dir, -h)) / (2 * h)
		// Along a unit direction ⟨grad, u⟩ is about 1e-2. Central
		// differences err by O(h²), measured 5e-12 at h = 1e-4 (5e-10 at
		// 1e-3); float64 rounding adds about 1e-16/h = 1e-12.
		if math.Abs(fd-dot) > 1e-9 {
			t.Errorf("direction %d: ⟨grad, u⟩ = %.10g, central difference %.10g", trial, dot, fd)
		}
	}
}

// TestStepMatchesAdamWInFloat64 runs one ONNX Runtime step from non-zero
// moments at step 4 and checks the new parameters, moments and loss
// against AdamW computed here in float64 from the float64 gradients.
func TestStepMatchesAdamWInFloat64(t *testing.T) {
	m := tinyModel(t)
	const batch, eps, lr, wd, steps = 4, 0.1, 0.01, 0.1, 4
	table := m.ParamTable()
	weights := m.Init(9)
	r := rand.New(rand.NewPCG(1, 1))
	m0, v0 := make([][]float32, len(table)), make([][]float32, len(table))
	for k, p := range table {
		m0[k], v0[k] = make([]float32, p.Size()), make([]float32, p.Size())
		for i := range m0[k] {
			m0[k][i] = float32(1e-3 * r.NormFloat64())
			v0[k][i] = float32(math.Pow(1e-3*r.NormFloat64(), 2))
		}
	}
	x, labels := randomBatch(4, batch, 16*16, 3)
	s := newStepper(t, m, weights, StepperOptions{Batch: batch, WeightDecay: wd, LabelSmoothing: eps})
	if err := s.SetState(steps, weights, m0, v0); err != nil {
		t.Fatal(err)
	}
	res, err := s.Step(x, labels, lr)
	if err != nil {
		t.Fatal(err)
	}
	targets := make([]float32, batch*3)
	if err := Targets(targets, labels, 3, eps); err != nil {
		t.Fatal(err)
	}
	loss, logits, grads := newReference(t, m, weights, x, targets, batch).run(t)
	// float32 evaluation of a loss of order 1: a few ulps of 1e-7 over the
	// network's depth.
	if math.Abs(res.Loss-loss) > 1e-5 {
		t.Errorf("loss %.8g, float64 reference %.8g", res.Loss, loss)
	}
	logits32 := make([]float32, len(logits))
	for i, v := range logits {
		logits32[i] = float32(v)
	}
	if want := Correct(logits32, labels, 3); res.Correct != want {
		t.Errorf("correct %d, float64 reference %d", res.Correct, want)
	}
	gotSteps, p1, m1, v1 := s.State()
	if gotSteps != steps+1 {
		t.Errorf("steps %d, want %d", gotSteps, steps+1)
	}
	tt := float64(steps + 1)
	bc1, bc2 := 1/(1-math.Pow(AdamBeta1, tt)), 1/(1-math.Pow(AdamBeta2, tt))
	worst := map[string]float64{}
	for k, p := range table {
		for i, g := range grads[k] {
			wantM := AdamBeta1*float64(m0[k][i]) + (1-AdamBeta1)*g
			wantV := AdamBeta2*float64(v0[k][i]) + (1-AdamBeta2)*g*g
			wantP := float64(weights[k][i])
			if Decays(p) {
				wantP *= 1 - lr*wd
			}
			wantP -= lr * wantM * bc1 / (math.Sqrt(wantV*bc2) + AdamEps)
			// Errors relative to each quantity's scale: the moments to
			// their own size (plus the gradient's float32 error, about
			// 1e-6 of the largest gradient), the parameters to the step
			// length lr.
			worst["m"] = math.Max(worst["m"], math.Abs(float64(m1[k][i])-wantM)/(math.Abs(wantM)+1e-7))
			worst["v"] = math.Max(worst["v"], math.Abs(float64(v1[k][i])-wantV)/(math.Abs(wantV)+1e-12))
			worst["p"] = math.Max(worst["p"], math.Abs(float64(p1[k][i])-wantP)/lr)
		}
	}
	// The update divides by √v, which amplifies the gradients' float32
	// error where v is tiny; 1e-3 of a step (and of a moment) leaves room
	// for that while catching any wrong constant, sign or decay mask.
	for what, limit := range map[string]float64{"m": 1e-3, "v": 1e-3, "p": 1e-3} {
		if worst[what] > limit {
			t.Errorf("%s: worst relative error %.3g, limit %g", what, worst[what], limit)
		}
	}
	t.Logf("worst relative errors: %v", worst)
}

// TestDecaysOnlyMatrices checks the weight-decay mask against the
// parameters' kinds: Linear and convolution weights decay, biases and norm
// parameters do not.
func TestDecaysOnlyMatrices(t *testing.T) {
	for _, p := range tinyModel(t).ParamTable() {
		kernel := p.Init == vit.TruncNormal || (p.Init == vit.UniformFanIn && strings.HasSuffix(p.Name, ".weight"))
		if Decays(p) != kernel {
			t.Errorf("%s %v: decays %v", p.Name, p.Shape, Decays(p))
		}
	}
}

func TestTargets(t *testing.T) {
	dst := make([]float32, 2*4)
	if err := Targets(dst, []int64{2, 0}, 4, 0.2); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.05, 0.05, 0.85, 0.05, 0.85, 0.05, 0.05, 0.05}
	for i := range want {
		// float32 of 0.8 + 0.05 against the decimal literal: one ulp.
		if math.Abs(float64(dst[i]-want[i])) > 1e-7 {
			t.Fatalf("targets %v, want %v", dst, want)
		}
	}
	if err := Targets(dst, []int64{4, 0}, 4, 0.2); err == nil || !strings.Contains(err.Error(), "label 4") {
		t.Errorf("label out of range: err = %v", err)
	}
}

func TestCorrect(t *testing.T) {
	logits := []float32{0, 2, 1, 5, 5, 0, -1, -2, -3}
	if got := Correct(logits, []int64{1, 1, 0}, 3); got != 2 {
		t.Errorf("correct = %d, want 2 (row 2 ties go to the first class)", got)
	}
}

// TestStepperLearnsStripes trains tinyArch to tell horizontal from vertical
// stripes; the loss must fall well below chance's ln 2.
func TestStepperLearnsStripes(t *testing.T) {
	m := newModel(t, tinyArch, 32, 1, 2, 4)
	s := newStepper(t, m, m.Init(1), StepperOptions{Batch: 16, WeightDecay: 0.05})
	var first, last float64
	for step := range 60 {
		x, labels := stripesBatch(uint64(step), 16, 32)
		res, err := s.Step(x, labels, 3e-3)
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = res.Loss
		}
		last = res.Loss
	}
	x, labels := stripesBatch(1000, 64, 32)
	logits := make([]float32, 64*2)
	if err := s.Logits(x, 64, logits); err != nil {
		t.Fatal(err)
	}
	acc := float64(Correct(logits, labels, 2)) / 64
	t.Logf("loss %.3f → %.3f, held-out accuracy %.2f", first, last, acc)
	if last > 0.3 || acc < 0.9 {
		t.Errorf("loss %.3f → %.3f and held-out accuracy %.2f; want a loss below 0.3 and accuracy ≥ 0.9", first, last, acc)
	}
}

// TestStepIsDeterministic runs the same steps on two steppers and requires
// identical bits.
func TestStepIsDeterministic(t *testing.T) {
	m := newModel(t, tinyArch, 32, 1, 2, 4)
	var states [2]savedState
	for i := range states {
		s := newStepper(t, m, m.Init(2), StepperOptions{Batch: 8, WeightDecay: 0.05, LabelSmoothing: 0.1})
		for step := range 3 {
			x, labels := stripesBatch(uint64(step), 8, 32)
			if _, err := s.Step(x, labels, 1e-3); err != nil {
				t.Fatal(err)
			}
		}
		states[i] = stateCopy(s)
	}
	if !equalBits(states[0].tensors, states[1].tensors) {
		t.Fatal("two runs of the same steps differ")
	}
}

// TestSetModelKeepsState switches the patch stride and checks that the
// weights, moments and step count carry over and that steps still run.
func TestSetModelKeepsState(t *testing.T) {
	fine := newModel(t, tinyArch, 64, 1, 2, 4)
	coarse := newModel(t, tinyArch, 64, 1, 2, 8)
	s := newStepper(t, coarse, coarse.Init(3), StepperOptions{Batch: 4})
	x, labels := stripesBatch(1, 4, 64)
	if _, err := s.Step(x, labels, 1e-3); err != nil {
		t.Fatal(err)
	}
	_, before, _, vBefore := s.State()
	p0, v0 := before[0][0], vBefore[0][0]
	if err := s.SetModel(fine); err != nil {
		t.Fatal(err)
	}
	steps, after, _, vAfter := s.State()
	if steps != 1 || after[0][0] != p0 || vAfter[0][0] != v0 {
		t.Fatalf("after SetModel: steps %d, p %v v %v; want 1, %v, %v", steps, after[0][0], vAfter[0][0], p0, v0)
	}
	if _, err := s.Step(x, labels, 1e-3); err != nil {
		t.Fatal(err)
	}
	if err := s.SetModel(newModel(t, seedArch, 64, 1, 2, 4)); err == nil {
		t.Error("SetModel accepted a model with other parameters")
	}
}

// TestNonFiniteStepKeepsState feeds a batch with a NaN pixel after one
// good step: the step must fail naming step 2 and leave the parameters,
// moments and step count as they were, so that the next good step gives
// what it would have without the failed one.
func TestNonFiniteStepKeepsState(t *testing.T) {
	m := newModel(t, tinyArch, 32, 1, 2, 4)
	opts := StepperOptions{Batch: 4, WeightDecay: 0.05}
	s := newStepper(t, m, m.Init(1), opts)
	x, labels := stripesBatch(1, 4, 32)
	if _, err := s.Step(x, labels, 1e-3); err != nil {
		t.Fatal(err)
	}
	before := stateCopy(s)
	bad := append([]float32(nil), x...)
	bad[5] = float32(math.NaN())
	if _, err := s.Step(bad, labels, 1e-3); err == nil || !strings.Contains(err.Error(), "step 2:") {
		t.Fatalf("NaN batch: err = %v, want an error naming step 2", err)
	}
	after := stateCopy(s)
	if after.steps != before.steps || !equalBits(after.tensors, before.tensors) {
		t.Fatalf("the failed step changed the state (steps %d → %d)", before.steps, after.steps)
	}

	ref := newStepper(t, m, m.Init(1), opts)
	for _, st := range []*Stepper{s, ref, ref} {
		if _, err := st.Step(x, labels, 1e-3); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := stateCopy(s), stateCopy(ref); got.steps != want.steps || !equalBits(got.tensors, want.tensors) {
		t.Error("the step after a failed one differs from an uninterrupted run")
	}
}

// savedState is a copy of a stepper's State.
type savedState struct {
	steps   int
	tensors [][]float32 // parameters, first moments, second moments
}

func stateCopy(s *Stepper) savedState {
	steps, p, m, v := s.State()
	var out savedState
	out.steps = steps
	for _, t := range slices.Concat(p, m, v) {
		out.tensors = append(out.tensors, slices.Clone(t))
	}
	return out
}

func equalBits(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool {
		return slices.EqualFunc(x, y, func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) })
	})
}

func TestStepRejectsWrongBatch(t *testing.T) {
	m := newModel(t, tinyArch, 32, 1, 2, 4)
	s := newStepper(t, m, m.Init(1), StepperOptions{Batch: 4})
	x, labels := stripesBatch(1, 3, 32)
	if _, err := s.Step(x, labels, 1e-3); err == nil || !strings.Contains(err.Error(), "full batch of 4") {
		t.Errorf("short batch: err = %v", err)
	}
	s.Destroy()
	if _, err := s.Step(x, labels, 1e-3); err == nil {
		t.Error("a destroyed stepper ran a step")
	}
}

// BenchmarkStep32 is one training step of the searched seed on 1×32×32
// inputs, batch 128, 10 classes.
func BenchmarkStep32(b *testing.B) {
	m := newModel(b, seedArch, 32, 1, 10, 4)
	s := newStepper(b, m, m.Init(1), StepperOptions{Batch: 128, WeightDecay: 0.05, LabelSmoothing: 0.1})
	x, l := randomBatch(1, 128, 32*32, 10)
	for b.Loop() {
		if _, err := s.Step(x, l, 1e-3); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkForward32 is the evaluation forward pass of BenchmarkStep32's
// model and batch, for the step/forward ratio.
func BenchmarkForward32(b *testing.B) {
	m := newModel(b, seedArch, 32, 1, 10, 4)
	s := newStepper(b, m, m.Init(1), StepperOptions{Batch: 128})
	x, _ := randomBatch(1, 128, 32*32, 10)
	y := make([]float32, 128*10)
	for b.Loop() {
		if err := s.Logits(x, 128, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "images/s")
}

func TestCrossEntropy(t *testing.T) {
	// Equal logits: ln 4 for every label; logits (0, ln 3): the second
	// class has probability 3/4.
	if got := CrossEntropy([]float32{1, 1, 1, 1}, []int64{2}, 4); math.Abs(got-math.Log(4)) > 1e-12 {
		t.Errorf("uniform: %v, want ln 4", got)
	}
	l3 := float32(math.Log(3))
	got := CrossEntropy([]float32{0, l3, 0, l3}, []int64{1, 0}, 2)
	// float32 rounding of ln 3 moves the result by about 1e-8.
	if want := (-math.Log(0.75) - math.Log(0.25)) / 2; math.Abs(got-want) > 1e-7 {
		t.Errorf("got %v, want %v", got, want)
	}
}
