package train

import (
	"encoding/json"

	"github.com/asvit/asvit/runs"
)

// Kinds of log.jsonl records.
const (
	KindEpoch = "epoch"
	KindStep  = "step"
)

// EpochRecord is the log.jsonl record of a finished epoch.
type EpochRecord struct {
	Kind         string     `json:"kind"`  // KindEpoch
	Epoch        int        `json:"epoch"` // from 1
	Step         int        `json:"step"`  // AdamW steps taken by its end
	Phase        int        `json:"phase"` // from 1
	Stride       int        `json:"patch_stride"`
	Dilation     int        `json:"patch_dilation"`
	LR           float64    `json:"lr"` // of its last step
	TrainLoss    float64    `json:"train_loss"`
	TrainAcc     float64    `json:"train_acc"` // before each step's update
	ValLoss      runs.Float `json:"val_loss"`  // NaN without a validation split
	ValAcc       runs.Float `json:"val_acc"`
	TestLoss     float64    `json:"test_loss"` // cross-entropy without smoothing
	TestAcc      float64    `json:"test_acc"`
	TrainSeconds float64    `json:"train_seconds"`
	EvalSeconds  float64    `json:"eval_seconds"`
	ImagesPerS   float64    `json:"train_images_per_s"`
}

// StepRecord is the log.jsonl record written every Config.LogEvery steps.
type StepRecord struct {
	Kind  string  `json:"kind"`  // KindStep
	Epoch int     `json:"epoch"` // in progress, from 1
	Step  int     `json:"step"`  // AdamW steps taken
	Phase int     `json:"phase"` // from 1
	Loss  float64 `json:"loss"`  // of the step's batch, label-smoothed
	LR    float64 `json:"lr"`
}

// readLog returns the epoch and step records of the log in dir, in order.
func readLog(dir string) ([]EpochRecord, []StepRecord, error) {
	var epochs []EpochRecord
	var steps []StepRecord
	err := runs.ReadLogKinds(dir, map[string]func(json.RawMessage) error{
		KindEpoch: runs.Into(&epochs),
		KindStep:  runs.Into(&steps),
	})
	if err != nil {
		return nil, nil, err
	}
	return epochs, steps, nil
}
