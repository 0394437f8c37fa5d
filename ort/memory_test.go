package ort

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/internal/memtest"
)

// TestSessionChurnMemory creates, runs and destroys many sessions, as a
// search does, and fails if the resident set keeps what they used.
func TestSessionChurnMemory(t *testing.T) {
	const (
		warmUp   = 20
		sessions = 1000
		size     = 64
		maxGrow  = 64 << 20
	)
	initORT(t)
	model := affineModel(t, size, size)
	rng := rand.New(rand.NewPCG(12, 13))
	in := newTensors(t, [][]int64{{2, size}, {size, size}, {size}},
		randFloat32s(rng, 2*size), randFloat32s(rng, size*size), randFloat32s(rng, size))
	churn := func(n int) {
		for i := range n {
			s, err := NewSession(model, nil, nil, Options{})
			if err != nil {
				t.Fatalf("session %d: %v", i, err)
			}
			out, err := s.Run(in)
			if err != nil {
				t.Fatalf("session %d: %v", i, err)
			}
			DestroyAll(out)
			s.Destroy()
		}
	}
	churn(warmUp)
	before := memtest.ResidentBytes(t)
	churn(sessions)
	after := memtest.ResidentBytes(t)
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	t.Logf("resident set after %d warm-up sessions: %s; after %d more: %s; growth %s",
		warmUp, mib(before), sessions, mib(after), mib(after-before))
	if after-before > maxGrow {
		t.Errorf("resident set grew by %s over %d sessions; at most %s is allowed", mib(after-before), sessions, mib(maxGrow))
	}
}
