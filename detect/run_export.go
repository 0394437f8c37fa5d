package detect

import (
	"fmt"

	"github.com/asvit/asvit/export"
)

// Names of the exported detector in a run directory when no other path is
// given: the best checkpoint's, and the last one's.
const (
	ExportFile     = "model.onnx"
	ExportLastFile = "model_last.onnx"
)

// ExportRun writes checkpoint name (BestFile or LastFile) of the detection
// run in dir as one ONNX detector through Model.Export, from the run
// directory alone: the checkpoint's ModelInfo gives the backbone, its
// tokenizer at that checkpoint, the canvas size, the neck width, the class
// names and the normalisation; config.json gives the seed. The metadata
// also records the checkpoint (export.WeightsBest or WeightsLast), its
// epochs finished and steps, and version. The COCO category ids of the
// classes are not recorded: the model's classes are indices into
// Meta.ClassNames.
func ExportRun(dir, name string, opts ExportOptions, version string) ([]byte, export.Meta, error) {
	weights := map[string]string{BestFile: export.WeightsBest, LastFile: export.WeightsLast}[name]
	if weights == "" {
		return nil, export.Meta{}, fmt.Errorf("detector export: checkpoint %q; want %s or %s", name, BestFile, LastFile)
	}
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, export.Meta{}, err
	}
	c, err := ReadRunCheckpoint(dir, name)
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("detector export: %w", err)
	}
	m, err := c.Model.Model()
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("detector export: %w", err)
	}
	meta := export.Meta{
		Mean: []float32{c.Model.Mean}, Std: []float32{c.Model.Std}, ClassNames: c.Model.Classes, CategoryIDs: c.Model.CategoryIDs,
		Weights: weights, Seed: cfg.Seed, Epoch: c.Epoch, Step: c.Step, Version: version,
	}
	return m.Export(c.Params(), opts, meta)
}
