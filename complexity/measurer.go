package complexity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asvit/asvit/vit"
)

// Result holds the two measures of one topology.
type Result struct {
	Topology string // canonical form (vit.Topology.String)
	// NTKCond is κ averaged over the repeats. Check Bad first: a bad
	// network's κ is +Inf or NaN.
	NTKCond float64
	// LengthDistortion is L^E averaged over the repeats.
	LengthDistortion float64
	// Bad is set when any repeat's κ is not finite (including λmin ≤ 0).
	Bad       bool
	PerRepeat []Repeat
	// Params and FLOPs (2 × multiply-accumulates per image) of the model at
	// the settings' image size and classes.
	Params, FLOPs int64
	Seconds       float64 // wall time of the call
	Timing        Timing
}

// Repeat holds the measures of one initialisation.
type Repeat struct {
	NTKCond, LengthDistortion float64
	// LambdaMin and LambdaMax are the extreme eigenvalues of Θ.
	LambdaMin, LambdaMax float64
}

// Timing splits a call's time by part.
type Timing struct {
	Cached  bool          // the graph and session came from the cache
	Build   time.Duration // graph construction and serialisation
	Session time.Duration // ONNX Runtime session creation
	Weights time.Duration // drawing or copying the weights
	Run     time.Duration // session runs and the Go-side reductions
}

// Measurer measures topologies against one Probe. It builds one graph and
// one session per topology and keeps the most recently used ones (see
// Settings.CacheSize), so that measuring a topology again only draws weights
// and runs. Its methods may be called from several goroutines; calls run one
// at a time, each using every core ONNX Runtime is given.
type Measurer struct {
	s     Settings
	probe *probeTensors

	mu     sync.Mutex
	cache  *lru
	closed bool
}

// NewMeasurer checks s and p and makes the probe's runtime tensors. The
// caller must Close the measurer.
func NewMeasurer(s Settings, p *Probe) (*Measurer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("no probe; draw one with NewProbe")
	}
	if err := p.check(s); err != nil {
		return nil, err
	}
	pt, err := newProbeTensors(s, p)
	if err != nil {
		return nil, err
	}
	return &Measurer{s: s, probe: pt, cache: newLRU(s.CacheSize)}, nil
}

// Settings returns the measurer's settings.
func (m *Measurer) Settings() Settings { return m.s }

// Measure returns κ and L^E of top, each averaged over Settings.Repeat
// initialisations. Repeat r uses the probe's batch, its curve basis r and
// weights drawn by vit.Model.InitInto from a seed derived from
// (Settings.Seed, top, r), so the result is a function of the settings, the
// probe and the topology.
func (m *Measurer) Measure(ctx context.Context, top vit.Topology) (Result, error) {
	return m.measure(ctx, top, m.s.Repeat, func(model vit.Model, e *entry, r int) error {
		return model.InitInto(WeightSeed(m.s.Seed, top, r), e.eval.buffers())
	})
}

// MeasureWeights returns κ and L^E of top with the given weights instead of
// fresh ones: one repeat, on the probe's first curve basis. Every parameter
// the measures read must be in w with its ParamTable shape; the final norm
// and the head may be missing.
func (m *Measurer) MeasureWeights(ctx context.Context, top vit.Topology, w *Weights) (Result, error) {
	if w == nil {
		return Result{}, errors.New("no weights given; read them with LoadWeights")
	}
	return m.measure(ctx, top, 1, func(model vit.Model, e *entry, _ int) error {
		return w.fill(model.ParamTable(), e.eval.reads(), e.eval.buffers())
	})
}

func (m *Measurer) measure(ctx context.Context, top vit.Topology, repeats int, weights func(vit.Model, *entry, int) error) (Result, error) {
	start := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Result{}, errors.New("measurer is closed")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	counted, err := m.model(top, m.s.Classes)
	if err != nil {
		return Result{}, fmt.Errorf("measure %s: %w", top, err)
	}
	// The head never reaches the features: one class keeps it small, and
	// every other parameter is drawn alike whatever the classes.
	model, err := m.model(top, 1)
	if err != nil {
		return Result{}, fmt.Errorf("measure %s: %w", top, err)
	}
	res := Result{Topology: top.String(), Params: counted.Params(), FLOPs: counted.FLOPs()}
	e, err := m.entry(top.ScaledString(), model, &res.Timing)
	if err != nil {
		return Result{}, fmt.Errorf("measure %s: %w", top, err)
	}
	defer m.cache.release(e)
	for r := range repeats {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		t0 := time.Now()
		if err := weights(model, e, r); err != nil {
			return Result{}, fmt.Errorf("measure %s: %w", top, err)
		}
		t1 := time.Now()
		theta, length, err := e.eval.run(r)
		if err != nil {
			return Result{}, fmt.Errorf("measure %s, repeat %d: %w", top, r, err)
		}
		k, lmin, lmax := conditionNumber(theta, m.s.Batch)
		res.PerRepeat = append(res.PerRepeat, Repeat{NTKCond: k, LengthDistortion: length, LambdaMin: lmin, LambdaMax: lmax})
		res.Timing.Weights += t1.Sub(t0)
		res.Timing.Run += time.Since(t1)
	}
	for _, r := range res.PerRepeat {
		res.NTKCond += r.NTKCond / float64(repeats)
		res.LengthDistortion += r.LengthDistortion / float64(repeats)
		res.Bad = res.Bad || bad(r.NTKCond)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// model returns top on the settings' input with the given classes.
func (m *Measurer) model(top vit.Topology, classes int) (vit.Model, error) {
	spec := vit.NewSpec(top, m.s.Image, classes)
	spec.Channels = m.s.Channels
	return vit.New(spec)
}

// entry returns the cached evaluator of key or builds one.
func (m *Measurer) entry(key string, model vit.Model, t *Timing) (*entry, error) {
	if e := m.cache.get(key); e != nil {
		t.Cached = true
		return e, nil
	}
	var ev evaluator
	var err error
	switch m.s.Method {
	case Fast:
		ev, err = newFastEval(model, m.s, m.probe, t)
	case BruteForce:
		ev, err = newBruteEval(model, m.s, m.probe, t)
	}
	if err != nil {
		return nil, err
	}
	return m.cache.put(key, ev), nil
}

// Close destroys every cached session and the probe's tensors. It is safe to
// call more than once; Measure fails afterwards.
func (m *Measurer) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	m.cache.clear()
	m.probe.destroy()
}
