package train

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/asvit/asvit/vit"
)

// Metadata keys of an exported model, as the command line's export writes
// and its predict reads them. Mean and std are comma-separated floats, the
// class names a JSON array of strings.
const (
	MetaArch          = "asvit.arch"
	MetaImage         = "asvit.image"
	MetaChannels      = "asvit.channels"
	MetaClasses       = "asvit.classes"
	MetaMean          = "asvit.mean"
	MetaStd           = "asvit.std"
	MetaClassNames    = "asvit.class_names"
	MetaOutput        = "asvit.output"
	MetaVersion       = "asvit.version"
	MetaPatchStride   = "asvit.patch_stride"   // the tokenizer the weights were trained at
	MetaPatchDilation = "asvit.patch_dilation" // (re-tokenization may end at another than 4, 1)
)

// Meta is what an exported model records besides its topology and shapes,
// which come from the model.
type Meta struct {
	Mean, Std  []float32 // per input channel, on the [0,1] scale
	ClassNames []string  // nil when unknown
	Version    string    // asvit version
}

// ExportModel serialises model's inference graph (input vit.InputName of
// any batch size, output vit.LogitsName) with weights (aligned with
// model.ParamTable) as initializers and meta in the metadata.
func ExportModel(model vit.Model, weights [][]float32, meta Meta) ([]byte, error) {
	spec := model.Spec()
	if len(meta.Mean) != spec.Channels || len(meta.Std) != spec.Channels {
		return nil, fmt.Errorf("export: %d mean and %d std values for %d channels; give one per channel", len(meta.Mean), len(meta.Std), spec.Channels)
	}
	if meta.ClassNames != nil && len(meta.ClassNames) != spec.Classes {
		return nil, fmt.Errorf("export: %d class names for %d classes", len(meta.ClassNames), spec.Classes)
	}
	g, err := model.Graph(vit.GraphConfig{
		ForwardOptions: vit.ForwardOptions{Output: vit.Logits},
		Batch:          1,
		Weights:        weights,
		DynamicBatch:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	props := map[string]string{
		MetaArch:          spec.Topology.String(),
		MetaImage:         strconv.Itoa(spec.Image),
		MetaChannels:      strconv.Itoa(spec.Channels),
		MetaClasses:       strconv.Itoa(spec.Classes),
		MetaMean:          formatFloats(meta.Mean),
		MetaStd:           formatFloats(meta.Std),
		MetaOutput:        "logits",
		MetaVersion:       meta.Version,
		MetaPatchStride:   strconv.Itoa(spec.PatchStride),
		MetaPatchDilation: strconv.Itoa(spec.PatchDilation),
	}
	if meta.ClassNames != nil {
		b, err := json.Marshal(meta.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("export: class names: %w", err)
		}
		props[MetaClassNames] = string(b)
	}
	for k, v := range props {
		g.Metadata[k] = v
	}
	b, err := g.Model()
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return b, nil
}

func formatFloats(vals []float32) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return strings.Join(parts, ",")
}
