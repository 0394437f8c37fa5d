package trainfree

import (
	"context"

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
