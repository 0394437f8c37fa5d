package detect

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// Config describes a detection training run. DefaultConfig fills in the
// usual values; zero values are taken literally (no warm-up, no weight
// decay, ...) except where a field says otherwise.
type Config struct {
	Arch string `json:"arch"` // backbone topology, as vit.Parse reads it
	// Data is a directory in the layout detdata.Generate writes
	// (instances_train.json, instances_val.json, images/train, images/val);
	// the model's input side is its canvas size. "" generates DefaultData
	// into DataDir under the run directory (again on resume if it is
	// missing: the set depends on DefaultData only).
	Data   string  `json:"data"`
	Width  int     `json:"width"` // neck and head channels; 0 is DefaultWidth
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`           // peak learning rate
	WD     float64 `json:"weight_decay"` // AdamW's decoupled weight decay
	// Warmup is the fraction of all steps spent warming the learning rate
	// up linearly, in [0, 1); the cosine decay follows (train.LRSchedule).
	Warmup float64 `json:"warmup"`
	// Retoken is the backbone's re-tokenization schedule
	// (train.ParseSchedule); "" is train.DefaultSchedule for the backbone
	// and canvas size.
	Retoken string `json:"retoken"`
	Seed    uint64 `json:"seed"` // weights, data order and flips
	// Flip mirrors each training image, with its boxes, left to right with
	// probability 1/2, drawn from (Seed, epoch, image).
	Flip bool `json:"flip"`
	// CheckpointEvery writes the `last` checkpoint every that many steps as
	// well as at each epoch's end; 0 writes it at epoch ends only.
	CheckpointEvery int `json:"checkpoint_every"`
	// LogEvery writes a step record to log.jsonl every that many steps; 0
	// writes about curvePoints of them over the run.
	LogEvery int `json:"log_every"`
	// ORT says how the run executes; it may change on resume (Kind.Free).
	ORT ort.Options `json:"ort"`

	// Out is the run directory. Resume continues the run in it, which
	// must have been started with the same configuration.
	Out    string `json:"-"`
	Resume bool   `json:"-"`
}

// curvePoints is about how many step records a run logs by default.
const curvePoints = 100

// DefaultConfig returns the configuration of `asvit detect train` without
// flags, for the given backbone topology; Out is left empty.
func DefaultConfig(arch string) Config {
	return Config{
		Arch: arch, Epochs: 12, Batch: 32,
		LR: 1e-3, WD: 0.05, Warmup: 0.05, Flip: true,
	}
}

// DataDir is where a run without Config.Data keeps its generated set,
// under the run directory.
const DataDir = "data"

// DefaultData is the set a run without Config.Data trains on: 512
// training and 128 validation canvases of 64 px with 1 to 3 objects of 10
// to 48 px, pasted from the Fashion-MNIST sample embedded in the binary
// (detdata's generator, seed 1). It takes seconds to make, and with the
// As-ViT seed topology and DefaultConfig a run on it takes a few minutes
// on two cores: a smoke test of the pipeline, not a benchmark.
func DefaultData() detdata.Config {
	c := detdata.DefaultConfig()
	c.Size, c.Train, c.Val = 64, 512, 128
	c.MaxObjects, c.MinSide, c.MaxSide = 3, 10, 48
	return c
}

// Limits on a Config.
const maxEpochs = 1_000_000

// check reports the first field of c that is out of range, naming it.
func (c Config) check() error {
	if _, err := vit.Parse(c.Arch); err != nil {
		return fmt.Errorf("arch: %w", err)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Width < 0:
		return fmt.Errorf("width %d is negative; use 0 for %d or a positive channel count", c.Width, DefaultWidth)
	case c.Epochs < 1 || c.Epochs > maxEpochs:
		return fmt.Errorf("epochs %d is out of range; use 1..%d", c.Epochs, maxEpochs)
	case c.Batch < 1:
		return fmt.Errorf("batch %d is not allowed; use at least 1", c.Batch)
	case !(c.LR > 0) || !finite(c.LR):
		return fmt.Errorf("lr %g is not allowed; use a positive learning rate such as 1e-3", c.LR)
	case !(c.WD >= 0) || !finite(c.WD):
		return fmt.Errorf("weight decay %g is not allowed; use 0 or more", c.WD)
	case !(c.Warmup >= 0 && c.Warmup < 1):
		return fmt.Errorf("warmup %g is not allowed; give the fraction of steps in [0, 1)", c.Warmup)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("checkpoint interval %d is negative; use 0 for epoch ends only", c.CheckpointEvery)
	case c.LogEvery < 0:
		return fmt.Errorf("log interval %d is negative; use 0 for about %d step records per run", c.LogEvery, curvePoints)
	case c.Out == "":
		return fmt.Errorf("no output directory; set one for the run's files")
	}
	if c.Retoken != "" {
		if _, err := train.ParseSchedule(c.Retoken); err != nil {
			return err
		}
	}
	return c.ORT.Validate()
}
