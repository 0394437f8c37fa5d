package study

import (
	"fmt"
	"math/rand/v2"

	"github.com/asvit/asvit/vit"
)

// Candidate is one topology of a study.
type Candidate struct {
	Index int    `json:"index"` // from 0: the drawn ones first, then the given ones
	Arch  string `json:"arch"`
	Given bool   `json:"given"` // from Config.Archs, not drawn
}

// sampleDomain tells the draw's random stream apart from others of the seed.
const sampleDomain = 0x5354_5544_5931

// maxDraws bounds the rejection sampling of Candidates.
const maxDraws = 1000

// Candidates returns the study's topologies: N distinct ones drawn
// uniformly from the search space restricted to those valid at the image
// size (rejection sampling from the seed), then the given ones, each once.
func Candidates(c Config) ([]Candidate, error) {
	rng := rand.New(rand.NewPCG(c.Seed, sampleDomain))
	seen := map[string]bool{}
	var out []Candidate
	for draws := 0; len(out) < c.N; draws++ {
		if draws >= maxDraws*c.N {
			return nil, fmt.Errorf("study: only %d distinct topologies valid at %d px in %d draws; lower the number or raise the image size", len(out), c.Image, draws)
		}
		t := vit.Sample(rng)
		s := t.String()
		if seen[s] {
			continue
		}
		if _, err := model(t, c, anyClasses); err != nil {
			continue
		}
		seen[s] = true
		out = append(out, Candidate{Index: len(out), Arch: s})
	}
	given := map[string]bool{}
	for _, a := range c.Archs {
		t, err := vit.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("study: arch %q: %w", a, err)
		}
		if _, err := model(t, c, anyClasses); err != nil {
			return nil, fmt.Errorf("study: arch %s at %d px: %w", a, c.Image, err)
		}
		if given[t.String()] {
			continue
		}
		given[t.String()] = true
		out = append(out, Candidate{Index: len(out), Arch: t.String(), Given: true})
	}
	return out, nil
}

// anyClasses sizes the head when only validity matters: the head's size
// does not decide whether a topology fits an image size.
const anyClasses = 10

// model is topology t at the study's input.
func model(t vit.Topology, c Config, classes int) (vit.Model, error) {
	spec := vit.NewSpec(t, c.Image, classes)
	if c.Channels != 0 {
		spec.Channels = c.Channels
	}
	return vit.New(spec)
}
