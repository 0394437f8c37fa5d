package study

import (
	"errors"
	"fmt"
	"math"

	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// Config describes a study. The fields with JSON names are recorded in
// config.json and must match on resume; the others say how the study runs.
type Config struct {
	Data     string   `json:"data"`     // dataset directory; "" is the embedded Fashion-MNIST sample
	Image    int      `json:"image"`    // input side in pixels, for the proxies and training
	Channels int      `json:"channels"` // 1 or 3; 0 takes the dataset's
	N        int      `json:"n"`        // topologies drawn uniformly from the space valid at Image
	Archs    []string `json:"archs"`    // given topologies (a searched seed, say), reported against the drawn ones
	Seed     uint64   `json:"seed"`     // the draw, the probe batch and every proxy's weights

	// Training budget, the same for every topology.
	TrainSeeds  []uint64 `json:"train_seeds"` // one training per seed; accuracies are their mean
	Epochs      int      `json:"epochs"`
	Batch       int      `json:"batch"`
	TrainImages int      `json:"train_images"` // 0: all the validation split leaves
	ValFraction float64  `json:"val_fraction"`
	Retoken     string   `json:"retoken"`

	// Proxy settings.
	ProbeBatch  int `json:"probe_batch"`  // images in the batch every proxy sees
	CurvePoints int `json:"curve_points"` // of L^E
	Repeat      int `json:"repeat"`       // initialisations averaged by κ and L^E

	Bootstrap int `json:"bootstrap"` // resamples of each interval

	Out    string `json:"-"`
	Resume bool   `json:"-"`
	// Remeasure measures every topology again, after a proxy's definition
	// changed, keeping the trainings; the log keeps both measurements and
	// the newer one counts.
	Remeasure bool        `json:"-"`
	Jobs      int         `json:"-"` // trainings at once
	ORT       ort.Options `json:"-"` // threads are shared among the jobs
	Version   string      `json:"-"`
}

// DefaultConfig returns the study's defaults: 40 topologies at 32 px, one
// training seed, 2 epochs at batch 128 with the default recipe at full
// resolution throughout, the authors' proxy batch and curve.
func DefaultConfig() Config {
	d := train.DefaultConfig("")
	return Config{
		Image: 32, N: 40, TrainSeeds: []uint64{0},
		Epochs: 2, Batch: d.Batch, ValFraction: d.ValFraction, Retoken: FullResolution,
		ProbeBatch: 16, CurvePoints: 10, Repeat: 3, Bootstrap: 1000, Jobs: 1,
	}
}

// FullResolution trains at the model's own patch stride throughout, so the
// topologies differ in architecture only, not in how coarse their first
// epochs are.
const FullResolution = "4x1:1"

const (
	maxN         = 100_000
	minBootstrap = 100
)

// Validate reports the first setting Run cannot use.
func (c Config) Validate() error {
	switch {
	case c.Out == "":
		return errors.New("study: no run directory; give one for the study's files")
	case c.Image < 1:
		return fmt.Errorf("study: image %d px; want at least 1", c.Image)
	case c.Channels != 0 && c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("study: channels %d; use 1, 3, or 0 for the dataset's", c.Channels)
	case c.N < 0 || c.N > maxN:
		return fmt.Errorf("study: %d topologies; want 0..%d", c.N, maxN)
	case c.N < 3:
		return fmt.Errorf("study: %d drawn topologies cannot give a correlation; draw at least 3", c.N)
	case len(c.TrainSeeds) == 0:
		return errors.New("study: no training seed; give at least one")
	case c.Epochs < 1 || c.Batch < 1:
		return fmt.Errorf("study: %d epochs of batch %d; want at least 1 of each", c.Epochs, c.Batch)
	case c.ProbeBatch < 2:
		return fmt.Errorf("study: probe batch %d; κ needs at least 2 images", c.ProbeBatch)
	case c.CurvePoints < 2 || c.Repeat < 1:
		return fmt.Errorf("study: %d curve points and %d repeats; want at least 2 and 1", c.CurvePoints, c.Repeat)
	case c.Bootstrap < minBootstrap:
		return fmt.Errorf("study: %d bootstrap resamples; want at least %d", c.Bootstrap, minBootstrap)
	case c.Jobs < 1:
		return fmt.Errorf("study: %d jobs; want at least 1", c.Jobs)
	case !(c.ValFraction > 0 && c.ValFraction < 1) || math.IsNaN(c.ValFraction):
		return fmt.Errorf("study: validation fraction %g; the study needs a validation split, give a fraction in (0, 1)", c.ValFraction)
	}
	seen := map[uint64]bool{}
	for _, s := range c.TrainSeeds {
		if seen[s] {
			return fmt.Errorf("study: training seed %d given twice", s)
		}
		seen[s] = true
	}
	for _, a := range c.Archs {
		if _, err := vit.Parse(a); err != nil {
			return fmt.Errorf("study: arch %q: %w", a, err)
		}
	}
	if c.Retoken != "" {
		if _, err := train.ParseSchedule(c.Retoken); err != nil {
			return fmt.Errorf("study: retoken: %w", err)
		}
	}
	return c.ORT.Validate()
}

// trainConfig is the training run of arch with seed, in dir.
func (c Config) trainConfig(arch string, seed uint64, dir string, threads int) train.Config {
	t := train.DefaultConfig(arch)
	t.Data, t.Image, t.Channels = c.Data, c.Image, c.Channels
	t.Epochs, t.Batch, t.Seed = c.Epochs, c.Batch, seed
	t.TrainImages, t.ValFraction, t.Retoken = c.TrainImages, c.ValFraction, c.Retoken
	t.ORT = c.ORT
	t.ORT.Threads = threads
	t.Out, t.Version = dir, c.Version
	return t
}
