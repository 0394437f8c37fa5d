package flow

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"math"
	"time"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/study"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// unit hashes s into [0, 1).
func unit(s string) float64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return float64(h.Sum64()>>11) / (1 << 53)
}

// hashMeasure is a deterministic stand-in for κ and L^E that takes delay:
// κ from the topology's hash, L^E growing with width and depth, and every
// topology whose hash is below 0.05 bad.
func hashMeasure(delay time.Duration) trainfree.EvaluatorFunc {
	return func(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return trainfree.Measure{}, ctx.Err()
		}
		h := unit(t.String())
		depth := 0
		for _, s := range t.Stages {
			depth += s.Depth
		}
		m := trainfree.Measure{NTKCond: 100 + 900*h, LengthDistortion: 0.01*float64(t.Hidden) + 0.1*float64(depth) + h}
		if h < 0.05 {
			m.NTKCond, m.Bad = math.NaN(), true
		}
		return m, nil
	}
}

// hashStudy makes up a study's measures and accuracies from the topology.
type hashStudy struct{}

func (hashStudy) Measure(_ context.Context, c study.Candidate) (study.Measures, error) {
	h := unit(c.Arch)
	return study.Measures{Params: 1 + int64(1000*h), FLOPs: 2 + int64(50*h), NTKCond: runs.Float(1 / (h + 0.01)),
		LengthDistortion: runs.Float(h), GradNorm: runs.Float(-h), SNIP: runs.Float(h * h), Synflow: runs.Float(math.Inf(1)),
		NASWOT: runs.Float(math.NaN()), DSS: runs.Float(1 - h)}, nil
}

func (hashStudy) Train(_ context.Context, c study.Candidate, seed uint64, _ string, _ int) (study.Trained, error) {
	acc := 0.5 + 0.4*unit(c.Arch) + 0.01*unit(c.Arch+string(rune('a'+seed)))
	return study.Trained{Seed: seed, BestEpoch: 1, ValAcc: runs.Float(acc), TestAcc: runs.Float(acc - 0.01)}, nil
}

// fakeActivities measures with hashMeasure and studies with hashStudy.
func fakeActivities(version string, delay time.Duration) *Activities {
	return &Activities{
		Version:   version,
		Evaluator: func(json.RawMessage) (trainfree.Evaluator, error) { return hashMeasure(delay), nil },
		Study:     func(study.Config) (study.Evaluator, error) { return hashStudy{}, nil },
		Heartbeat: 200 * time.Millisecond,
	}
}
