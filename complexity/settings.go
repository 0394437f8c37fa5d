package complexity

import (
	"fmt"
	"math"
	"strings"

	"github.com/asvit/asvit/ort"
)

// Radius is the radius of the circle the length distortion follows.
type Radius int

const (
	// RadiusOne is the authors' code: x(θ) = u0 cos θ + u1 sin θ.
	RadiusOne Radius = iota
	// RadiusSqrtN is the paper's formula, radius √N with N = C·R·R, which
	// gives the curve points the norm of a unit-variance image.
	RadiusSqrtN
)

// ParseRadius reads "1" (or "one") and "sqrt-n", as a command line gives them.
func ParseRadius(s string) (Radius, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "one":
		return RadiusOne, nil
	case "sqrt-n":
		return RadiusSqrtN, nil
	}
	return 0, fmt.Errorf("radius %q is unknown; use 1 (the authors' code) or sqrt-n (the paper's formula)", s)
}

// String returns the name ParseRadius accepts.
func (r Radius) String() string {
	switch r {
	case RadiusOne:
		return "1"
	case RadiusSqrtN:
		return "sqrt-n"
	}
	return fmt.Sprintf("Radius(%d)", int(r))
}

// of returns the radius for inputs of n values.
func (r Radius) of(n int) float64 {
	if r == RadiusSqrtN {
		return math.Sqrt(float64(n))
	}
	return 1
}

// Method selects how the measures are computed.
type Method int

const (
	// Fast runs one graph per topology: κ's Gram from one forward and one
	// backward pass over the batch, L^E from one forward-mode JVP over every
	// curve point.
	Fast Method = iota
	// BruteForce follows the authors: one backward pass per sample of the
	// batch for κ, and one per feature coordinate for L^E. It is the
	// reference that tests and benchmarks compare Fast against.
	BruteForce
)

// String names the method.
func (m Method) String() string {
	switch m {
	case Fast:
		return "fast"
	case BruteForce:
		return "brute-force"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Defaults of DefaultSettings, the authors' values.
const (
	DefaultImage       = 224
	DefaultChannels    = 3
	DefaultBatch       = 16
	DefaultCurvePoints = 10
	DefaultRepeat      = 5
	DefaultClasses     = 1000
	DefaultCacheSize   = 8
)

// Bounds that Validate enforces beyond the obvious lower ones; they only keep
// buffers and run times finite.
const (
	maxImage       = 4096
	maxBatch       = 1024
	maxCurvePoints = 4096
	maxRepeat      = 1000
	maxClasses     = 1 << 24
)

// Settings configure a Measurer. A search or scaling run uses one Settings,
// and with it one Probe, for every candidate.
type Settings struct {
	Image       int // input side R in pixels
	Channels    int // input channels C, 1 or 3
	Batch       int // images B in κ's batch
	CurvePoints int // points n on the L^E circle, θ = linspace(0, 2π, n)
	Repeat      int // initialisations averaged
	Radius      Radius
	Seed        uint64 // draws the batch, the curve bases and every weight
	// Classes sizes the classifier head. The measures never read it; only
	// Result.Params and Result.FLOPs do.
	Classes int
	Method  Method
	// CacheSize is how many built topologies (graph, session, weight
	// tensors) are kept for reuse, least recently used evicted first; 0
	// builds every call afresh.
	CacheSize int
	// Chunk is the most κ images or curve points one pass of Method Fast
	// takes; the batch and the curve are split into passes of as even a
	// size as fits, each with a forward graph of its own, so that one
	// pass's activations are live at a time. 0 chooses from the network's
	// activations at this image size (PassRows); small images take the
	// whole batch in one pass. Like the threads, it changes how the
	// measures run, not what they are, up to float32 rounding.
	Chunk int
	// ORT configures every session. DefaultSettings turns graph
	// optimisation off: creating the session is the largest cost of a new
	// candidate at small inputs, optimising takes about half of it, and the
	// runs measured no slower without it.
	ORT ort.Options
}

// DefaultSettings returns the authors' settings: 224 px RGB, batch 16, 10
// curve points, 5 repeats, radius 1, seed 0, on the CPU without graph
// optimisation.
func DefaultSettings() Settings {
	return Settings{
		Image:       DefaultImage,
		Channels:    DefaultChannels,
		Batch:       DefaultBatch,
		CurvePoints: DefaultCurvePoints,
		Repeat:      DefaultRepeat,
		Classes:     DefaultClasses,
		CacheSize:   DefaultCacheSize,
		ORT:         ort.Options{OptLevel: ort.OptDisable},
	}
}

// Validate reports the first field of s that is out of range.
func (s Settings) Validate() error {
	type bound struct {
		name   string
		v, min int
		max    int
		why    string
	}
	for _, b := range []bound{
		{"image", s.Image, 1, maxImage, ""},
		{"batch", s.Batch, 2, maxBatch, " (a 1×1 NTK has condition number 1 whatever the network)"},
		{"curve points", s.CurvePoints, 1, maxCurvePoints, ""},
		{"repeat", s.Repeat, 1, maxRepeat, ""},
		{"classes", s.Classes, 1, maxClasses, ""},
		{"cache size", s.CacheSize, 0, math.MaxInt, ""},
		{"chunk", s.Chunk, 0, math.MaxInt, " (0 chooses)"},
	} {
		if b.v < b.min || b.v > b.max {
			if b.max == math.MaxInt {
				return fmt.Errorf("%s %d is out of range; use %d or more%s", b.name, b.v, b.min, b.why)
			}
			return fmt.Errorf("%s %d is out of range; use %d..%d%s", b.name, b.v, b.min, b.max, b.why)
		}
	}
	if s.Channels != 1 && s.Channels != 3 {
		return fmt.Errorf("channels %d is not allowed; use 1 or 3", s.Channels)
	}
	if s.Radius != RadiusOne && s.Radius != RadiusSqrtN {
		return fmt.Errorf("radius %v is unknown; use RadiusOne or RadiusSqrtN", s.Radius)
	}
	if s.Method != Fast && s.Method != BruteForce {
		return fmt.Errorf("method %v is unknown; use Fast or BruteForce", s.Method)
	}
	if err := s.ORT.Validate(); err != nil {
		return fmt.Errorf("onnx runtime options: %w", err)
	}
	return nil
}

// inputSize returns N = C·R·R, the values in one input image.
func (s Settings) inputSize() int { return s.Channels * s.Image * s.Image }
