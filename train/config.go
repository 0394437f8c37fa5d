package train

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// Config describes a training run. DefaultConfig fills in the usual values;
// zero values are taken literally (no warm-up, no weight decay, ...) except
// where a field says otherwise.
type Config struct {
	Arch     string  `json:"arch"`     // topology string, as vit.Parse reads it
	Data     string  `json:"data"`     // dataset directory (data.Open); "" is the embedded Fashion-MNIST sample
	Image    int     `json:"image"`    // model input side in pixels
	Channels int     `json:"channels"` // 1 or 3; 0 takes the dataset's
	Epochs   int     `json:"epochs"`
	Batch    int     `json:"batch"`
	LR       float64 `json:"lr"`           // peak learning rate
	WD       float64 `json:"weight_decay"` // AdamW's decoupled weight decay
	// LabelSmoothing is ε of the cross-entropy's targets, in [0, 1).
	LabelSmoothing float64 `json:"label_smoothing"`
	// Warmup is the fraction of all steps spent warming the learning rate
	// up linearly, in [0, 1); the cosine decay follows.
	Warmup float64 `json:"warmup"`
	// Retoken is the re-tokenization schedule (ParseSchedule); "" is
	// DefaultSchedule for the model and image.
	Retoken string `json:"retoken"`
	Seed    uint64 `json:"seed"` // weights, data order, augmentation and the validation split
	// ValFraction of the training split is held out, stratified by class,
	// to choose the best epoch; the rest trains. 0 holds nothing out and
	// keeps the last epoch. The test split never chooses anything.
	ValFraction float64 `json:"val_fraction"`
	// TrainImages caps the images trained on, a stratified subset of what
	// the validation split leaves; 0 trains on all of it.
	TrainImages int          `json:"train_images"`
	Augment     data.Augment `json:"augment"`
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
	// Version is the asvit version, recorded in the model (config.json
	// records the build's own, see runs.Version).
	Version string `json:"-"`
}

// curvePoints is about how many step records a run logs by default: a
// learning curve's worth.
const curvePoints = 100

// DefaultConfig returns the configuration of `asvit train` without flags,
// for the given topology; Out is left empty.
func DefaultConfig(arch string) Config {
	return Config{
		Arch: arch, Image: 32, Epochs: 10, Batch: 128,
		LR: 1e-3, WD: 0.05, LabelSmoothing: 0.1, Warmup: 0.05, ValFraction: 0.1,
		Augment: data.Augment{CropPad: 2, HFlip: true},
	}
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
	case c.Channels != 0 && c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("channels %d is not allowed; use 1, 3, or 0 for the dataset's", c.Channels)
	case c.Epochs < 1 || c.Epochs > maxEpochs:
		return fmt.Errorf("epochs %d is out of range; use 1..%d", c.Epochs, maxEpochs)
	case c.Batch < 1:
		return fmt.Errorf("batch %d is not allowed; use at least 1", c.Batch)
	case !(c.LR > 0) || !finite(c.LR):
		return fmt.Errorf("lr %g is not allowed; use a positive learning rate such as 1e-3", c.LR)
	case !(c.WD >= 0) || !finite(c.WD):
		return fmt.Errorf("weight decay %g is not allowed; use 0 or more", c.WD)
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return fmt.Errorf("label smoothing %g is not allowed; use a value in [0, 1)", c.LabelSmoothing)
	case !(c.Warmup >= 0 && c.Warmup < 1):
		return fmt.Errorf("warmup %g is not allowed; give the fraction of steps in [0, 1)", c.Warmup)
	case !(c.ValFraction >= 0 && c.ValFraction < 1):
		return fmt.Errorf("validation fraction %g is not allowed; give the fraction of training images held out, in [0, 1)", c.ValFraction)
	case c.TrainImages < 0:
		return fmt.Errorf("training images %d is negative; use 0 for all", c.TrainImages)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("checkpoint interval %d is negative; use 0 for epoch ends only", c.CheckpointEvery)
	case c.LogEvery < 0:
		return fmt.Errorf("log interval %d is negative; use 0 for about %d step records per run", c.LogEvery, curvePoints)
	case c.Out == "":
		return fmt.Errorf("no output directory; set one for the run's files")
	}
	if c.Retoken != "" {
		if _, err := ParseSchedule(c.Retoken); err != nil {
			return err
		}
	}
	return c.ORT.Validate()
}
