package search

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config holds a search's settings. The fields with JSON names are recorded
// in the run's config.json and must match on resume.
type Config struct {
	Dir    string           `json:"-"` // run directory
	Resume bool             `json:"-"` // continue the run in Dir
	Clock  func() time.Time `json:"-"` // times each step; time.Now when nil

	Seed     uint64  `json:"seed"`              // draws the initial logits and the samples
	Steps    int     `json:"steps"`             // policy updates (500)
	LR       float64 `json:"lr"`                // Adam's learning rate (0.08)
	Momentum float64 `json:"baseline_momentum"` // of the reward baseline (0.9)
	Window   int     `json:"reward_window"`     // values in the reward's range (20)
	NoCache  bool    `json:"no_cache"`          // measure a topology again each time it is sampled
	// BatchSize is the number of topologies sampled per policy step, whose
	// measures may run at the same time; 0 and 1 both mean one, the
	// authors' algorithm (and 0 keeps the field out of config.json).
	BatchSize int `json:"batch_size,omitempty"`

	// EvalSettings records the evaluator's own settings (image size,
	// batch, repeats, ...) in config.json, so that resuming with another
	// evaluator is refused. Any value that encodes to JSON.
	EvalSettings any `json:"evaluator,omitempty"`
}

// DefaultConfig returns the authors' settings with seed 0 and no directory.
func DefaultConfig() Config {
	return Config{Steps: 500, LR: 0.08, Momentum: 0.9, Window: 20}
}

// Limits checked by Validate.
const (
	maxSteps  = 1_000_000
	maxWindow = 1_000_000
	maxBatch  = 100_000
)

// Validate reports the first setting that Run cannot use.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("search: run directory: empty; give a directory for the run's files")
	}
	return c.validateSettings()
}

// validateSettings checks all but the run directory.
func (c Config) validateSettings() error {
	switch {
	case c.BatchSize < 0 || c.BatchSize > maxBatch:
		return fmt.Errorf("search: batch size: got %d, want 1..%d topologies per step", c.BatchSize, maxBatch)
	case c.Steps < 1 || c.Steps > maxSteps:
		return fmt.Errorf("search: steps: got %d, want 1..%d", c.Steps, maxSteps)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("search: learning rate: got %v, want a finite number above 0", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("search: baseline momentum: got %v, want 0 ≤ momentum < 1", c.Momentum)
	case c.Window < 2 || c.Window > maxWindow:
		return fmt.Errorf("search: reward window: got %d, want 2..%d (the range needs two values)", c.Window, maxWindow)
	}
	return nil
}

// batchSize returns the topologies per step.
func (c Config) batchSize() int { return max(1, c.BatchSize) }
