package train

import "time"

// StepInfo describes a finished training step.
type StepInfo struct {
	Epoch, Epochs int // the epoch in progress (from 1) and the run's epochs
	Step, Steps   int // AdamW steps taken and the run's total
	Phase         int // re-tokenization phase, from 1
	Loss          float64
	LR            float64
	ImagesPerS    float64       // training throughput of the epoch so far
	ETA           time.Duration // of the remaining training steps at that pace
}

// Progress receives a run's progress. Its methods are called from Run's
// goroutine and should return quickly.
type Progress interface {
	Step(StepInfo)
	Epoch(EpochRecord)
}

// NopProgress ignores everything.
type NopProgress struct{}

// Step does nothing.
func (NopProgress) Step(StepInfo) {}

// Epoch does nothing.
func (NopProgress) Epoch(EpochRecord) {}
