package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/asvit/asvit/vit"
)

// Phase is one stage of progressive re-tokenization: the patch embedding
// samples with this stride and dilation for a fraction of the epochs.
type Phase struct {
	Stride, Dilation int
	Fraction         float64
}

// Schedule is a re-tokenization schedule, coarse phases first.
type Schedule []Phase

// Limits of a schedule.
const (
	maxPhases      = 16
	maxPhaseStride = 1024 // also the largest dilation
	fractionSlack  = 1e-6 // how far the fractions may sum from 1
)

// Fractions of the default schedule, coarse to fine.
var defaultFractions = [3]float64{0.3, 0.3, 0.4}

// ParseSchedule reads a schedule written STRIDExDILATION:FRACTION, phases
// separated by commas, such as "16x5:0.3,8x2:0.3,4x1:0.4". Strides and
// dilations are integers in 1..1024, fractions are in (0, 1] and sum to 1
// within 1e-6; at most 16 phases. Spaces around the parts are ignored.
// Errors name the phase that is wrong.
func ParseSchedule(s string) (Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("retoken schedule is empty; want phases such as 16x5:0.3,8x2:0.3,4x1:0.4")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxPhases {
		return nil, fmt.Errorf("retoken schedule has %d phases; at most %d are allowed", len(parts), maxPhases)
	}
	sched := make(Schedule, len(parts))
	sum := 0.0
	for i, part := range parts {
		p, err := parsePhase(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("retoken schedule, phase %d %q: %w", i+1, strings.TrimSpace(part), err)
		}
		sched[i] = p
		sum += p.Fraction
	}
	if math.Abs(sum-1) > fractionSlack {
		return nil, fmt.Errorf("retoken schedule %q: fractions sum to %g; they must sum to 1", s, sum)
	}
	return sched, nil
}

func parsePhase(part string) (Phase, error) {
	const form = "want STRIDExDILATION:FRACTION such as 8x2:0.3"
	geom, frac, ok := strings.Cut(part, ":")
	if !ok {
		return Phase{}, fmt.Errorf("no ':' before the fraction; %s", form)
	}
	st, di, ok := strings.Cut(strings.TrimSpace(geom), "x")
	if !ok {
		return Phase{}, fmt.Errorf("no 'x' between stride and dilation; %s", form)
	}
	var p Phase
	for _, f := range []struct {
		name string
		text string
		dst  *int
	}{{"stride", st, &p.Stride}, {"dilation", di, &p.Dilation}} {
		v, err := strconv.Atoi(strings.TrimSpace(f.text))
		if err != nil || v < 1 || v > maxPhaseStride {
			return Phase{}, fmt.Errorf("%s %q is not an integer in 1..%d", f.name, strings.TrimSpace(f.text), maxPhaseStride)
		}
		*f.dst = v
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(frac), 64)
	if err != nil || !(v > 0 && v <= 1) {
		return Phase{}, fmt.Errorf("fraction %q is not a number in (0, 1]", strings.TrimSpace(frac))
	}
	p.Fraction = v
	return p, nil
}

// String writes the schedule in the form ParseSchedule reads.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, p := range s {
		parts[i] = fmt.Sprintf("%dx%d:%s", p.Stride, p.Dilation, strconv.FormatFloat(p.Fraction, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// DefaultSchedule returns the paper's schedule adapted to spec: strides
// 4·s0, 2·s0 and s0, with s0 the spec's patch stride, for 30%, 30% and 40%
// of the epochs. The last phase keeps the spec's own stride and dilation.
// The coarser phases take the dilation whose span d·(K1-1)+1 comes nearest
// the stride, d = max(1, round((stride-1)/(K1-1))) (d = 1 when K1 = 1):
// for K1 = 4 this gives the paper's (16,5) → (8,2) → (4,1), and for K1 = 8
// (16,2) → (8,1) → (4,1). A coarse phase that would leave a stage without
// tokens at this image size is dropped and its epochs go to the next
// phase; the seed at 32 px keeps (4,1) alone, and at 64 px (8,1) → (4,1).
func DefaultSchedule(spec vit.Spec) Schedule {
	k := spec.Stages[0].Kernel
	base := spec.PatchStride
	var sched Schedule
	carry := 0.0
	for i, mult := range []int{4, 2} {
		p := Phase{Stride: base * mult, Dilation: nearestDilation(base*mult, k), Fraction: defaultFractions[i] + carry}
		if _, err := phaseModel(spec, p); err != nil {
			carry = p.Fraction
			continue
		}
		sched, carry = append(sched, p), 0
	}
	return append(sched, Phase{Stride: base, Dilation: spec.PatchDilation, Fraction: defaultFractions[2] + carry})
}

// nearestDilation returns the dilation whose kernel span comes nearest the
// stride (rounding halves up), at least 1.
func nearestDilation(stride, kernel int) int {
	if kernel < 2 {
		return 1
	}
	return max(1, int(math.Floor(float64(stride-1)/float64(kernel-1)+0.5)))
}

// phaseModel returns spec's model with p's stride and dilation.
func phaseModel(spec vit.Spec, p Phase) (vit.Model, error) {
	spec.PatchStride, spec.PatchDilation = p.Stride, p.Dilation
	return vit.New(spec)
}

// Models returns the model of each phase. A phase the model family rejects
// at this input (a stage left without tokens, windows that do not tile)
// fails, naming the phase.
func (s Schedule) Models(spec vit.Spec) ([]vit.Model, error) {
	models := make([]vit.Model, len(s))
	for i, p := range s {
		m, err := phaseModel(spec, p)
		if err != nil {
			return nil, fmt.Errorf("retoken phase %d (stride %d, dilation %d): %w", i+1, p.Stride, p.Dilation, err)
		}
		models[i] = m
	}
	return models, nil
}

// Epochs splits total epochs among the phases. Phase i ends at epoch
// round(total·(f_1+…+f_i)), rounding halves up, and the last phase ends
// at total: the rounding remainders never add up to a missing or extra
// epoch, and each phase is off its exact share by less than one epoch. A
// phase may get 0 epochs when total is small; it is then skipped.
func (s Schedule) Epochs(total int) []int {
	out := make([]int, len(s))
	cum, prev := 0.0, 0
	for i, p := range s {
		cum += p.Fraction
		end := int(math.Floor(float64(total)*cum + 0.5))
		if i == len(s)-1 {
			end = total
		}
		end = min(max(end, prev), total)
		out[i], prev = end-prev, end
	}
	return out
}

// PhaseAt returns the phase that epoch e (from 0) belongs to, given the
// epochs of each phase.
func PhaseAt(epochs []int, e int) int {
	for i, n := range epochs {
		if e < n {
			return i
		}
		e -= n
	}
	return len(epochs) - 1
}

// LRSchedule is a linear warm-up to the peak rate followed by a cosine
// decay to 0, over a run's steps; it ignores re-tokenization phases.
type LRSchedule struct {
	Peak   float64
	Warmup int // steps of warm-up
	Total  int // steps of the run
}

// At returns the learning rate of step i (from 0): Peak·(i+1)/Warmup
// during the warm-up, then Peak·(1+cos(π·(i-Warmup)/(Total-Warmup)))/2, so
// the first step after the warm-up runs at the peak and the rate would
// reach 0 at step Total.
func (l LRSchedule) At(i int) float64 {
	if i < l.Warmup {
		return l.Peak * float64(i+1) / float64(l.Warmup)
	}
	span := l.Total - l.Warmup
	if span <= 0 {
		return l.Peak
	}
	return l.Peak * (1 + math.Cos(math.Pi*float64(i-l.Warmup)/float64(span))) / 2
}
