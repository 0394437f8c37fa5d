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
	Step             int        `json:"step"`             // 1-based policy step
	Sample           int        `json:"sample,omitempty"` // 1-based within the step when Config.BatchSize > 1
	Topology         string     `json:"topology"`         // the sampled seed-form topology
	NTKCond          runs.Float `json:"ntk_cond"`         // as measured; NaN or ±Inf when bad
	LengthDistortion runs.Float `json:"length_distortion"`
	Bad              bool       `json:"bad,omitempty"`
	Cached           bool       `json:"cached,omitempty"` // measured at an earlier step
	Reward           float64    `json:"reward"`
	Baseline         float64    `json:"baseline"` // after the update with Reward
	Entropy          float64    `json:"entropy"`  // of the policy that sampled, in nats
	LogProb          float64    `json:"log_prob"` // log π of the sample
	Seconds          float64    `json:"seconds"`  // wall time of the whole step
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

// Searcher runs the steps of a search in memory, with no files: Run keeps
// its run directory, and package flow drives one inside a workflow. Given
// the same Config and Measures it takes the same steps.
type Searcher struct {
	cfg   Config
	clock func() time.Time
	pcg   *rand.PCG
	rng   *rand.Rand
	st    state
}

// NewSearcher starts a search with cfg's settings (cfg.Dir is not used).
func NewSearcher(cfg Config) (*Searcher, error) {
	if err := cfg.validateSettings(); err != nil {
		return nil, err
	}
	return newSearcher(cfg), nil
}

func newSearcher(cfg Config) *Searcher {
	s := &Searcher{cfg: cfg, clock: cfg.Clock, pcg: rand.NewPCG(cfg.Seed, pcgStream)}
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

// Done reports whether all of the Config's steps are taken.
func (s *Searcher) Done() bool { return s.st.Step >= s.cfg.Steps }

// Steps returns the number of policy steps taken.
func (s *Searcher) Steps() int { return s.st.Step }

// restore replaces the searcher's state with a checkpoint's.
func (s *Searcher) restore(st state) error {
	if err := s.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("checkpoint: random state: %w", err)
	}
	if err := st.check(s.cfg.batchSize()); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if st.Cache == nil {
		st.Cache = map[string]trainfree.Measure{}
	}
	s.st = st
	return nil
}

// check verifies the shapes a checkpoint of a search with batch samples per
// step must have.
func (st state) check(batch int) error {
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
	if n := st.Step * batch; len(h.Kappa) != n || len(h.Bad) != n || len(h.LE) != n {
		return fmt.Errorf("history holds %d entries after %d steps of %d", len(h.Kappa), st.Step, batch)
	}
	return nil
}

// snapshot returns the state to checkpoint.
func (s *Searcher) snapshot() (state, error) {
	var err error
	s.st.RNG, err = s.pcg.MarshalBinary()
	return s.st, err
}

// Step samples Config.BatchSize topologies from the policy, measures those
// not in the cache (each once) with eval, and takes one policy step on the
// mean of their REINFORCE gradients. Rewards and the baseline advance
// sample by sample in the order drawn, so a batch of one is the authors'
// step. It returns one record per sample.
func (s *Searcher) Step(ctx context.Context, eval trainfree.BatchEvaluator) ([]StepRecord, error) {
	start := s.clock()
	st := &s.st
	n := st.Step + 1
	entropy := st.Policy.entropy()
	samples := make([][vit.NumChoices]int, s.cfg.batchSize())
	keys := make([]string, len(samples))
	var todo []vit.Topology
	fresh := map[string]int{} // key → index in todo
	for i := range samples {
		samples[i] = st.Policy.sample(s.rng)
		t, err := vit.FromChoices(samples[i])
		if err != nil {
			return nil, err // indices come from the policy's own shapes
		}
		keys[i] = t.String()
		if _, ok := st.Cache[keys[i]]; ok {
			continue // always a miss with NoCache: nothing is stored
		}
		if _, ok := fresh[keys[i]]; !ok {
			fresh[keys[i]] = len(todo)
			todo = append(todo, t)
		}
	}
	measured, err := eval.EvaluateAll(ctx, todo, nil)
	if err != nil {
		return nil, fmt.Errorf("search: step %d: measure: %w", n, err)
	}
	if len(measured) != len(todo) {
		return nil, fmt.Errorf("search: step %d: %d measures for %d topologies", n, len(measured), len(todo))
	}
	st.Evaluations += len(todo)
	recs := make([]StepRecord, len(samples))
	var grad [][]float64
	scale := 1 / float64(len(samples))
	for i, a := range samples {
		m, cached := st.Cache[keys[i]]
		if !cached {
			m = measured[fresh[keys[i]]]
		}
		reward := st.History.push(m)
		if !finite(reward) {
			return nil, fmt.Errorf("search: step %d: %s: reward %v is not finite (κ %v, L^E %v); the measures overflow",
				n, keys[i], reward, m.NTKCond, m.LengthDistortion)
		}
		st.Baseline.update(reward, s.cfg.Momentum)
		baseline := st.Baseline.value()
		// loss = -log π(a)·(reward - baseline), so ∂loss/∂logits = -(reward - baseline)·∂log π(a).
		g := st.Policy.gradLogProb(a)
		for _, gj := range g {
			for k := range gj {
				gj[k] *= -(reward - baseline) * scale
			}
		}
		if grad == nil {
			grad = g
		} else {
			for j, gj := range g {
				for k := range gj {
					grad[j][k] += gj[k]
				}
			}
		}
		recs[i] = StepRecord{
			Step: n, Topology: keys[i],
			NTKCond: runs.Float(m.NTKCond), LengthDistortion: runs.Float(m.LengthDistortion), Bad: m.Bad,
			Cached: cached, Reward: reward, Baseline: baseline, Entropy: entropy, LogProb: st.Policy.logProb(a),
		}
		if len(samples) > 1 {
			recs[i].Sample = i + 1
		}
	}
	if !s.cfg.NoCache {
		for k, t := range todo {
			st.Cache[t.String()] = measured[k]
		}
	}
	st.Adam.step(s.cfg.LR, st.Policy.Logits, grad)
	st.Step = n
	secs := s.clock().Sub(start).Seconds()
	for i := range recs {
		recs[i].Seconds = secs
	}
	return recs, nil
}

// Result derives the search's answer from the current policy.
func (s *Searcher) Result() (Result, error) {
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
