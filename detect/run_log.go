package detect

import (
	"encoding/json"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
)

// EpochRecord is the log.jsonl record of a finished epoch (kind
// train.KindEpoch).
type EpochRecord struct {
	Kind     string  `json:"kind"`
	Epoch    int     `json:"epoch"` // from 1
	Step     int     `json:"step"`  // AdamW steps taken by its end
	Phase    int     `json:"phase"` // from 1
	Stride   int     `json:"patch_stride"`
	Dilation int     `json:"patch_dilation"`
	LR       float64 `json:"lr"` // of its last step
	// The epoch's mean training losses, before each step's update.
	TrainLoss        float64 `json:"train_loss"`
	TrainHeatmapLoss float64 `json:"train_heatmap_loss"`
	TrainBoxLoss     float64 `json:"train_box_loss"`
	// Val is the COCO summary on the validation split (pycocotools' twelve
	// numbers; −1 where undefined).
	Val            coco.Summary `json:"val"`
	TrainSeconds   float64      `json:"train_seconds"`
	EvalSeconds    float64      `json:"eval_seconds"`
	ImagesPerS     float64      `json:"train_images_per_s"`
	EvalImagesPerS float64      `json:"eval_images_per_s"` // forward, decoding and scoring
}

// StepRecord is the log.jsonl record written every Config.LogEvery steps
// (kind train.KindStep): the classifier's, with the two loss terms.
type StepRecord struct {
	train.StepRecord
	HeatmapLoss float64 `json:"heatmap_loss"`
	BoxLoss     float64 `json:"box_loss"`
}

// ReadLog returns the epoch and step records of the run in dir, in order.
func ReadLog(dir string) ([]EpochRecord, []StepRecord, error) {
	var epochs []EpochRecord
	var steps []StepRecord
	err := runs.ReadLogKinds(dir, map[string]func(json.RawMessage) error{
		train.KindEpoch: runs.Into(&epochs),
		train.KindStep:  runs.Into(&steps),
	})
	if err != nil {
		return nil, nil, err
	}
	return epochs, steps, nil
}
