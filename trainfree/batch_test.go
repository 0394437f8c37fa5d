package trainfree

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asvit/asvit/vit"
)

// hiddenEval measures a topology as its hidden size, after a wait that
// shrinks with the index so that later topologies finish first, and counts
// how many run at once.
type hiddenEval struct {
	mu             sync.Mutex
	inFlight, most int
	fail           int // hidden size that fails; 0: none
}

func (h *hiddenEval) Evaluate(ctx context.Context, t vit.Topology) (Measure, error) {
	h.mu.Lock()
	h.inFlight++
	h.most = max(h.most, h.inFlight)
	h.mu.Unlock()
	defer func() { h.mu.Lock(); h.inFlight--; h.mu.Unlock() }()
	select {
	case <-time.After(time.Duration(40-t.Hidden) * time.Millisecond):
	case <-ctx.Done():
		return Measure{}, ctx.Err()
	}
	if t.Hidden == h.fail {
		return Measure{}, errors.New("measure failed")
	}
	return Measure{NTKCond: float64(t.Hidden), LengthDistortion: 1}, nil
}

func topologies(n int) []vit.Topology {
	ts := make([]vit.Topology, n)
	for i := range ts {
		ts[i].Hidden = i + 1
	}
	return ts
}

// Three evaluators measure seven topologies at once; the Measures come back
// in the order of the batch, and done sees them in that order too.
func TestParallelKeepsTheOrder(t *testing.T) {
	shared := &hiddenEval{}
	p := Parallel{shared, shared, shared}
	var seen []int
	ms, err := p.EvaluateAll(context.Background(), topologies(7), func(i int, m Measure) {
		if m.NTKCond != float64(i+1) {
			t.Errorf("done(%d) got κ %v, want %d", i, m.NTKCond, i+1)
		}
		seen = append(seen, i)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.NTKCond != float64(i+1) {
			t.Errorf("measure %d: κ %v, want %d", i, m.NTKCond, i+1)
		}
	}
	if len(seen) != 7 || !sortedRange(seen) {
		t.Errorf("done called for %v, want 0..6 in order", seen)
	}
	if shared.most != 3 {
		t.Errorf("at most %d measured at once, want 3", shared.most)
	}
}

func sortedRange(xs []int) bool {
	for i, x := range xs {
		if x != i {
			return false
		}
	}
	return true
}

// The first error stops the batch and is returned; a parent context that
// ends stops it too.
func TestParallelStops(t *testing.T) {
	p := Parallel{&hiddenEval{fail: 5}, &hiddenEval{fail: 5}}
	if _, err := p.EvaluateAll(context.Background(), topologies(9), nil); err == nil || !strings.Contains(err.Error(), "measure failed") {
		t.Errorf("want the failing measure's error, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.EvaluateAll(ctx, topologies(4), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("with an ended context: %v, want context.Canceled", err)
	}
}

// Batch gives an Evaluator's own batches, and Sequential ones otherwise.
func TestBatch(t *testing.T) {
	p := Parallel{&hiddenEval{}}
	if _, ok := Batch(p).(Parallel); !ok {
		t.Error("Batch(Parallel) is not the Parallel itself")
	}
	if _, ok := Batch(&hiddenEval{}).(sequential); !ok {
		t.Error("Batch of a plain Evaluator is not Sequential")
	}
}
