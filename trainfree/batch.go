package trainfree

import (
	"context"
	"sync"

	"github.com/asvit/asvit/vit"
)

// BatchEvaluator measures several topologies, possibly at the same time
// (on many machines, say). It calls done, when not nil, as each Measure
// arrives, and returns the Measures in the order of ts.
type BatchEvaluator interface {
	EvaluateAll(ctx context.Context, ts []vit.Topology, done func(i int, m Measure)) ([]Measure, error)
}

// Sequential measures one topology after another with e.
func Sequential(e Evaluator) BatchEvaluator { return sequential{e} }

type sequential struct{ e Evaluator }

func (s sequential) EvaluateAll(ctx context.Context, ts []vit.Topology, done func(int, Measure)) ([]Measure, error) {
	ms := make([]Measure, len(ts))
	for i, t := range ts {
		m, err := s.e.Evaluate(ctx, t)
		if err != nil {
			return nil, err
		}
		ms[i] = m
		if done != nil {
			done(i, m)
		}
	}
	return ms, nil
}

// Batch returns e's own BatchEvaluator when it has one, and Sequential(e)
// otherwise.
func Batch(e Evaluator) BatchEvaluator {
	if b, ok := e.(BatchEvaluator); ok {
		return b
	}
	return Sequential(e)
}

// Parallel is an Evaluator whose batches run on all of its evaluators at
// once, each taking the next topology when it is free (one measurer per
// share of the cores, say). Its Evaluate uses the first. EvaluateAll calls
// done in the order of ts, from the calling goroutine, as each prefix of
// the batch completes; on the first error it stops the others and returns
// that error.
type Parallel []Evaluator

// Evaluate measures t with p[0].
func (p Parallel) Evaluate(ctx context.Context, t vit.Topology) (Measure, error) {
	return p[0].Evaluate(ctx, t)
}

// EvaluateAll measures ts on every evaluator of p at once.
func (p Parallel) EvaluateAll(ctx context.Context, ts []vit.Topology, done func(int, Measure)) ([]Measure, error) {
	if len(p) == 1 || len(ts) <= 1 {
		return Sequential(p[0]).EvaluateAll(ctx, ts, done)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i   int
		m   Measure
		err error
	}
	next := make(chan int, len(ts))
	for i := range ts {
		next <- i
	}
	close(next)
	results := make(chan result, len(ts))
	var wg sync.WaitGroup
	for _, e := range p[:min(len(p), len(ts))] {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				m, err := e.Evaluate(ctx, ts[i])
				results <- result{i, m, err}
				if err != nil {
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(results) }()
	ms, have, reported := make([]Measure, len(ts)), make([]bool, len(ts)), 0
	var first error
	for r := range results {
		if r.err != nil {
			if first == nil {
				first = r.err
				cancel()
			}
			continue
		}
		ms[r.i], have[r.i] = r.m, true
		for first == nil && reported < len(ts) && have[reported] {
			if done != nil {
				done(reported, ms[reported])
			}
			reported++
		}
	}
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil && reported < len(ts) {
		return nil, err
	}
	return ms, nil
}
