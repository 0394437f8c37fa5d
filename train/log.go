package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/asvit/asvit/atomicfile"
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
	Kind  string  `json:"kind"` // KindStep
	Epoch int     `json:"epoch"`
	Step  int     `json:"step"`
	Loss  float64 `json:"loss"`
	LR    float64 `json:"lr"`
}

// appendLine appends v as one JSON line to path.
func appendLine(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rewindLog rewrites the log at path as the checkpoint a run resumes from
// left it: step records of the first step steps and epoch records of the
// first epochs epochs. It returns the epoch records. A last line cut short
// by a crash is dropped.
func rewindLog(path string, step, epochs int) ([]EpochRecord, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(raw), "\n")
	var kept []string
	var records []EpochRecord
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var head struct {
			Kind  string `json:"kind"`
			Step  int    `json:"step"`
			Epoch int    `json:"epoch"`
		}
		if err := json.Unmarshal([]byte(line), &head); err != nil {
			if i == len(lines)-1 {
				break
			}
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		if head.Step > step || (head.Kind == KindEpoch && head.Epoch > epochs) {
			continue
		}
		if head.Kind == KindEpoch {
			var e EpochRecord
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
			}
			records = append(records, e)
		}
		kept = append(kept, strings.TrimSuffix(line, "\n")+"\n")
	}
	return records, atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(kept, ""))
		return err
	})
}
