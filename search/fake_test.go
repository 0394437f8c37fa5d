package search

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// authorsSeed is the topology the authors' search found.
const authorsSeed = "8,2,3|4,1,2|4,1,4|4,1,6|32"

// targetEvaluator makes one topology best: κ grows and L^E shrinks with the
// number of choices that differ from it. Topologies with H = 16 and K1 = 5
// are bad (κ NaN), so bad networks flow through every run.
type targetEvaluator struct {
	target [vit.NumChoices]int
	calls  atomic.Int64
	stopAt int64              // when > 0, the call with this number cancels
	cancel context.CancelFunc // what it cancels
}

func newTargetEvaluator(target string) *targetEvaluator {
	t, err := vit.Parse(target)
	if err != nil {
		panic(err)
	}
	idx, err := vit.ChoiceIndices(t)
	if err != nil {
		panic(err)
	}
	return &targetEvaluator{target: idx}
}

func (e *targetEvaluator) Evaluate(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
	if n := e.calls.Add(1); n == e.stopAt {
		e.cancel()
	}
	if err := ctx.Err(); err != nil {
		return trainfree.Measure{}, err
	}
	idx, err := vit.ChoiceIndices(t)
	if err != nil {
		return trainfree.Measure{}, err
	}
	d := 0.0
	for j, i := range idx {
		if i != e.target[j] {
			d++
		}
	}
	if t.Heads == 16 && t.Stages[0].Kernel == 5 {
		return trainfree.Measure{NTKCond: math.NaN(), LengthDistortion: 100 - 3*d, Bad: true}, nil
	}
	return trainfree.Measure{NTKCond: 10 + 5*d, LengthDistortion: 100 - 3*d}, nil
}

// stepClock advances one second per reading, so step times are
// deterministic.
func stepClock() func() time.Time {
	now := time.Unix(0, 0)
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}
