package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// pcgStream is the second PCG seed word, fixed so that Config.Seed alone
// chooses the stream.
const pcgStream = 0x5ea2c4

// StepRecord is one line of a search's log.jsonl.
type StepRecord struct {
	Step             int        `json:"step"`     // 1-based
	Topology         string     `json:"topology"` // the sampled seed-form topology
	NTKCond          runs.Float `json:"ntk_cond"` // as measured; NaN or ±Inf when bad
	LengthDistortion runs.Float `json:"length_distortion"`
	Bad              bool       `json:"bad,omitempty"`
	Cached           bool       `json:"cached,omitempty"` // measured at an earlier step
	Reward           float64    `json:"reward"`
	Baseline         float64    `json:"baseline"` // after the update with Reward
	Entropy          float64    `json:"entropy"`  // of the policy that sampled, in nats
	LogProb          float64    `json:"log_prob"` // log π of the sample
	Seconds          float64    `json:"seconds"`  // wall time of the step
}

// state is everything a search carries from one step to the next; it is
// the checkpoint.
type state struct {
	Step        int                          `json:"step"` // steps done
	Evaluations int                          `json:"evaluations"`
	RNG         []byte                       `json:"rng"` // the PCG's binary state
	Policy      policy                       `json:"policy"`
	Adam        adam                         `json:"adam"`
	Baseline    ema                          `json:"baseline"`
	History     rewardHistory                `json:"history"`
	Cache       map[string]trainfree.Measure `json:"cache"` // by topology string
}

// searcher runs the steps of a search in memory.
type searcher struct {
	cfg   Config
	clock func() time.Time
	pcg   *rand.PCG
	rng   *rand.Rand
	st    state
}

func newSearcher(cfg Config) *searcher {
	s := &searcher{cfg: cfg, clock: cfg.Clock, pcg: rand.NewPCG(cfg.Seed, pcgStream)}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.rng = rand.New(s.pcg)
	s.st.Policy = newPolicy(s.rng)
	s.st.Adam = newAdam(s.st.Policy.Logits)
	s.st.History.Window = cfg.Window
	s.st.Cache = map[string]trainfree.Measure{}
	return s
}

// restore replaces the searcher's state with a checkpoint's.
func (s *searcher) restore(st state) error {
	if err := s.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("checkpoint: random state: %w", err)
	}
	if err := st.check(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if st.Cache == nil {
		st.Cache = map[string]trainfree.Measure{}
	}
	s.st = st
	return nil
}

// check verifies the shapes a checkpoint must have.
func (st state) check() error {
	choices := vit.Choices()
	if len(st.Policy.Logits) != len(choices) || len(st.Adam.M) != len(choices) || len(st.Adam.V) != len(choices) {
		return fmt.Errorf("policy has %d choices, want %d", len(st.Policy.Logits), len(choices))
	}
	for j, c := range choices {
		n := len(c.Values)
		if len(st.Policy.Logits[j]) != n || len(st.Adam.M[j]) != n || len(st.Adam.V[j]) != n {
			return fmt.Errorf("choice %s has %d logits, want %d", c.Name, len(st.Policy.Logits[j]), n)
		}
	}
	h := st.History
	if len(h.Kappa) != st.Step || len(h.Bad) != st.Step || len(h.LE) != st.Step {
		return fmt.Errorf("history holds %d entries after %d steps", len(h.Kappa), st.Step)
	}
	return nil
}

// snapshot returns the state to checkpoint.
func (s *searcher) snapshot() (state, error) {
	var err error
	s.st.RNG, err = s.pcg.MarshalBinary()
	return s.st, err
}

// step samples, measures, rewards and updates the policy once.
func (s *searcher) step(ctx context.Context, eval trainfree.Evaluator) (StepRecord, error) {
	start := s.clock()
	st := &s.st
	entropy := st.Policy.entropy()
	a := st.Policy.sample(s.rng)
	t, err := vit.FromChoices(a)
	if err != nil {
		return StepRecord{}, err // indices come from the policy's own shapes
	}
	key := t.String()
	m, cached := st.Cache[key] // always a miss with NoCache: nothing is stored
	if !cached {
		if m, err = eval.Evaluate(ctx, t); err != nil {
			return StepRecord{}, fmt.Errorf("search: step %d: measure %s: %w", st.Step+1, key, err)
		}
		st.Evaluations++
		if !s.cfg.NoCache {
			st.Cache[key] = m
		}
	}
	logp := st.Policy.logProb(a)
	reward := st.History.push(m)
	if !finite(reward) {
		return StepRecord{}, fmt.Errorf("search: step %d: %s: reward %v is not finite (κ %v, L^E %v); the measures overflow",
			st.Step+1, key, reward, m.NTKCond, m.LengthDistortion)
	}
	st.Baseline.update(reward, s.cfg.Momentum)
	baseline := st.Baseline.value()
	// loss = -log π(a)·(reward - baseline), so ∂loss/∂logits = -(reward - baseline)·∂log π(a).
	grad := st.Policy.gradLogProb(a)
	for _, g := range grad {
		for i := range g {
			g[i] *= -(reward - baseline)
		}
	}
	st.Adam.step(s.cfg.LR, st.Policy.Logits, grad)
	st.Step++
	return StepRecord{
		Step: st.Step, Topology: key,
		NTKCond: runs.Float(m.NTKCond), LengthDistortion: runs.Float(m.LengthDistortion), Bad: m.Bad,
		Cached: cached, Reward: reward, Baseline: baseline, Entropy: entropy, LogProb: logp,
		Seconds: s.clock().Sub(start).Seconds(),
	}, nil
}

// result derives the search's answer from the current policy.
func (s *searcher) result() (Result, error) {
	p := s.st.Policy
	t, err := vit.FromChoices(p.argmax())
	if err != nil {
		return Result{}, err
	}
	res := Result{Topology: t.String(), Entropy: p.entropy(), Steps: s.st.Step, Evaluations: s.st.Evaluations}
	for j, c := range vit.Choices() {
		res.Choices = append(res.Choices, ChoiceResult{Name: c.Name, Values: c.Values, Probs: p.probs(j)})
	}
	return res, nil
}

// Result is a search's answer, written to result.json.
type Result struct {
	Topology    string         `json:"arch"`    // the most probable value of each choice, seed form
	Entropy     float64        `json:"entropy"` // of the final policy, in nats
	Steps       int            `json:"steps"`
	Evaluations int            `json:"evaluations"` // topologies measured (the rest came from the cache)
	Choices     []ChoiceResult `json:"choices"`
}

// ChoiceResult is the final distribution of one choice.
type ChoiceResult struct {
	Name   string    `json:"name"`
	Values []int     `json:"values"`
	Probs  []float64 `json:"probs"`
}
