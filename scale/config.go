package scale

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/asvit/asvit/vit"
)

// Config holds a scaling run's settings. The fields with JSON names are
// recorded in the run's config.json and must match on resume.
type Config struct {
	Dir    string           `json:"-"` // run directory
	Resume bool             `json:"-"` // continue the run in Dir
	Clock  func() time.Time `json:"-"` // times each step; time.Now when nil

	Arch        string    `json:"arch"`         // seed form K,S,E|...|H to grow
	Hidden      int       `json:"hidden"`       // starting hidden size of the measured model (8)
	WidthFactor int       `json:"width_factor"` // built model's hidden size over the measured one's (4)
	Ratios      []float64 `json:"width_ratios"` // width growths tried each step ({0.05, 0.1, 0.15, 0.2})
	Image       int       `json:"image"`        // image side for counting parameters and MACs (224)
	Classes     int       `json:"classes"`      // classes for counting (1000)
	LimitParams int64     `json:"limit_params"` // candidates above this are dropped (110M)
	StopParams  int64     `json:"stop_params"`  // stop once the chosen model has this many (80M)

	// EvalSettings records the evaluator's own settings in config.json,
	// so that resuming with another evaluator is refused.
	EvalSettings any `json:"evaluator,omitempty"`
}

// AuthorsArch is the topology the authors' search found and scaled.
const AuthorsArch = "8,2,3|4,1,2|4,1,4|4,1,6|32"

// DefaultConfig returns the authors' settings for AuthorsArch, with no
// directory.
func DefaultConfig() Config {
	return Config{Arch: AuthorsArch, Hidden: 8, WidthFactor: 4, Ratios: []float64{0.05, 0.1, 0.15, 0.2},
		Image: 224, Classes: 1000, LimitParams: 110_000_000, StopParams: 80_000_000}
}

// Limits checked by Validate.
const (
	maxRatio       = 10
	maxRatios      = 64
	maxWidthFactor = 64
)

// Validate reports the first setting that Run cannot use. It also checks
// that the starting model can be built at Image.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("scale: run directory: empty; give a directory for the run's files")
	}
	return c.validateSettings()
}

// validateSettings checks all but the run directory.
func (c Config) validateSettings() error {
	switch {
	case c.WidthFactor < 1 || c.WidthFactor > maxWidthFactor:
		return fmt.Errorf("scale: width factor: got %d, want 1..%d", c.WidthFactor, maxWidthFactor)
	case c.Hidden < 1 || c.Hidden*c.WidthFactor > vit.MaxDim:
		return fmt.Errorf("scale: hidden: got %d, want 1..%d so that %d× it stays within %d",
			c.Hidden, vit.MaxDim/c.WidthFactor, c.WidthFactor, vit.MaxDim)
	case len(c.Ratios) == 0 || len(c.Ratios) > maxRatios:
		return fmt.Errorf("scale: width ratios: got %d, want 1..%d", len(c.Ratios), maxRatios)
	case c.Classes < 1:
		return fmt.Errorf("scale: classes: got %d, want at least 1", c.Classes)
	case c.StopParams < 1 || c.LimitParams < c.StopParams:
		return fmt.Errorf("scale: parameter limits: stop at %d, drop above %d; want 1 ≤ stop ≤ limit", c.StopParams, c.LimitParams)
	}
	for i, r := range c.Ratios {
		if !(r >= 0 && r <= maxRatio) || i > 0 && r <= c.Ratios[i-1] {
			return fmt.Errorf("scale: width ratios: got %v, want increasing numbers in 0..%d (0.05 is 5%%)", c.Ratios, maxRatio)
		}
	}
	t, err := c.start()
	if err != nil {
		return err
	}
	if _, err := c.cost(t); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	return nil
}

// start returns the measured starting model: Arch with depths 1 and Hidden.
func (c Config) start() (vit.Topology, error) {
	t, err := vit.Parse(c.Arch)
	if err != nil {
		return vit.Topology{}, fmt.Errorf("scale: arch: %w", err)
	}
	if t.Hidden != vit.DefaultHidden || slices.ContainsFunc(t.Stages[:], func(s vit.Stage) bool { return s.Depth != 1 }) {
		return vit.Topology{}, fmt.Errorf("scale: arch %q sets depths or a hidden size; give the seed form K,S,E|K,S,E|K,S,E|K,S,E|H (scaling starts from depths 1 and the hidden setting)", c.Arch)
	}
	t.Hidden = c.Hidden
	if err := t.Validate(); err != nil {
		return vit.Topology{}, fmt.Errorf("scale: arch %s at hidden %d: %w", c.Arch, c.Hidden, err)
	}
	return t, nil
}
