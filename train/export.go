package train

import (
	"fmt"
	"path/filepath"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/vit"
)

// Export returns the ONNX model of the checkpoint (BestFile or LastFile) of
// the training run in dir, with output out: the network at the tokenizer
// its weights were trained at, the run's normalisation, its class names
// (with logits), and the checkpoint's epoch and step in the metadata;
// version is recorded there too. It reads only the run directory, not the
// data, and works on a running run as well.
func Export(dir, checkpoint string, out export.Output, version string) ([]byte, export.Meta, error) {
	weights := map[string]string{BestFile: export.WeightsBest, LastFile: export.WeightsLast}[checkpoint]
	if weights == "" {
		return nil, export.Meta{}, fmt.Errorf("export: checkpoint %q; want %s or %s", checkpoint, BestFile, LastFile)
	}
	cf, err := readConfigFile(dir)
	if err != nil {
		return nil, export.Meta{}, err
	}
	c, err := ReadCheckpoint(filepath.Join(dir, checkpoint))
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("export: %w", err)
	}
	top, err := vit.Parse(cf.Arch)
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("export: arch: %w", err)
	}
	spec := vit.NewSpec(top, cf.Image, len(cf.Classes))
	spec.Channels = cf.Input.Channels
	model, err := phaseModel(spec, Phase{Stride: c.Stride, Dilation: c.Dilation})
	if err != nil {
		return nil, export.Meta{}, fmt.Errorf("export: %w", err)
	}
	n := len(model.ParamTable())
	if len(c.Data) < n {
		return nil, export.Meta{}, fmt.Errorf("export: %s holds %d tensors, the model has %d parameters", checkpoint, len(c.Data), n)
	}
	meta := export.Meta{
		Mean: cf.Input.Mean, Std: cf.Input.Std, Output: out,
		Weights: weights, Seed: cf.Seed, Epoch: c.Epoch, Step: c.Step, Version: version,
	}
	if out == export.Logits {
		meta.ClassNames = cf.Classes
	}
	return export.Model(model, c.Data[:n], meta)
}
