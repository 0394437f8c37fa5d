package detect

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// ModelInfo is what running a checkpoint's weights needs besides them: the
// detector, the tokenizer it was trained at, and how its input is made.
type ModelInfo struct {
	Arch          string   `json:"arch"`
	Image         int      `json:"image"` // input side in pixels: the canvas size
	Width         int      `json:"width"` // neck and head channels
	PatchStride   int      `json:"patch_stride"`
	PatchDilation int      `json:"patch_dilation"`
	Classes       []string `json:"classes"`      // category names, in category id order
	CategoryIDs   []int64  `json:"category_ids"` // the COCO id of each class
	// Mean and Std normalise the gray pixels, x = (v/255 − Mean)/Std: the
	// training set's statistics.
	Mean float32 `json:"mean"`
	Std  float32 `json:"std"`
}

// Model builds the detector info describes, on one input channel.
func (info ModelInfo) Model() (Model, error) {
	top, err := vit.Parse(info.Arch)
	if err != nil {
		return Model{}, fmt.Errorf("arch: %w", err)
	}
	if len(info.Classes) == 0 || len(info.CategoryIDs) != len(info.Classes) {
		return Model{}, fmt.Errorf("detector: %d class names and %d category ids; want the same positive number", len(info.Classes), len(info.CategoryIDs))
	}
	spec := vit.NewSpec(top, info.Image, len(info.Classes))
	spec.Channels, spec.PatchStride, spec.PatchDilation = 1, info.PatchStride, info.PatchDilation
	b, err := vit.New(spec)
	if err != nil {
		return Model{}, fmt.Errorf("arch %s at %d px: %w", info.Arch, info.Image, err)
	}
	return New(b, len(info.Classes), info.Width)
}

// sameData reports whether a and b describe one detector on one data set,
// whatever their tokenizers.
func (info ModelInfo) sameData(o ModelInfo) bool {
	return info.Arch == o.Arch && info.Image == o.Image && info.Width == o.Width &&
		slices.Equal(info.Classes, o.Classes) && slices.Equal(info.CategoryIDs, o.CategoryIDs) &&
		info.Mean == o.Mean && info.Std == o.Std
}

// EpochSums are the running training sums of an epoch.
type EpochSums struct {
	Loss        float64 `json:"loss"` // Σ batch loss × batch
	HeatmapLoss float64 `json:"heatmap_loss"`
	BoxLoss     float64 `json:"box_loss"`
	Images      int64   `json:"images"`
	Seconds     float64 `json:"seconds"` // spent in training steps
}

// CheckpointHeader is the state of a detection run besides its tensors.
// The data order and flips of every epoch follow from (seed, epoch), so
// the epoch and the steps done in it are the whole random state.
type CheckpointHeader struct {
	Model        ModelInfo          `json:"model"`
	Step         int                `json:"step"`       // AdamW steps taken
	Epoch        int                `json:"epoch"`      // the epoch in progress, from 0
	EpochStep    int                `json:"epoch_step"` // its steps done
	Running      EpochSums          `json:"running"`    // its sums so far
	BestAP       float64            `json:"best_ap"`    // validation AP of BestEpoch
	BestEpoch    int                `json:"best_epoch"` // from 1; 0 when no epoch has ended
	TrainSeconds float64            `json:"train_seconds"`
	LogSize      int64              `json:"log_size"` // bytes of log.jsonl written when it was taken
	Tensors      []train.TensorInfo `json:"tensors"`
}

// TensorList returns h.Tensors.
func (h CheckpointHeader) TensorList() []train.TensorInfo { return h.Tensors }

// Checkpoint is a header with its tensors: the parameters, then AdamW's
// first and second moments, aligned with the model's ParamTable and named
// as train.StateTensors names them.
type Checkpoint struct {
	CheckpointHeader
	Data [][]float32
}

// Params returns the checkpoint's parameters, aligned with the ParamTable.
func (c *Checkpoint) Params() [][]float32 { return c.Data[:len(c.Data)/3] }

// ReadCheckpoint reads a detection checkpoint (LastFile or BestFile of a
// run directory), checking its checksum and that its tensors are those of
// the detector it describes.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	c := &Checkpoint{}
	data, err := train.ReadTensorFile(path, &c.CheckpointHeader)
	if err != nil {
		return nil, err
	}
	c.Data = data
	m, err := c.Model.Model()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := train.CheckTensors(c.Tensors, train.StateTensors(m.ParamTable())); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return c, nil
}

// ReadRunCheckpoint reads checkpoint name (BestFile or LastFile) of the
// run in dir.
func ReadRunCheckpoint(dir, name string) (*Checkpoint, error) {
	if name != BestFile && name != LastFile {
		return nil, fmt.Errorf("checkpoint %q; want %s or %s", name, BestFile, LastFile)
	}
	return ReadCheckpoint(filepath.Join(dir, name))
}
