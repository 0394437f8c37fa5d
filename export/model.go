package export

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// Model serialises model's inference graph, with input vit.InputName of
// any batch size, meta.Output's outputs and weights (aligned with
// model.ParamTable) as initializers, and meta as its metadata. The network
// fields of meta (topology, image, channels, classes, patch stride and
// dilation) are taken from model; Model returns meta as written.
func Model(model vit.Model, weights [][]float32, meta Meta) ([]byte, Meta, error) {
	spec := model.Spec()
	meta.Network = Network{Arch: spec.Topology.String(), Image: spec.Image, Channels: spec.Channels, Classes: spec.Classes}
	meta.PatchStride, meta.PatchDilation = spec.PatchStride, spec.PatchDilation
	if meta.Output == "" {
		meta.Output = Logits
	}
	if _, err := ParseOutput(string(meta.Output)); err != nil {
		return nil, meta, fmt.Errorf("export: %w", err)
	}
	if len(meta.Mean) != spec.Channels || len(meta.Std) != spec.Channels {
		return nil, meta, fmt.Errorf("export: %d mean and %d std values for %d channels; give one per channel", len(meta.Mean), len(meta.Std), spec.Channels)
	}
	if meta.ClassNames != nil && len(meta.ClassNames) != spec.Classes {
		return nil, meta, fmt.Errorf("export: %d class names for %d classes", len(meta.ClassNames), spec.Classes)
	}
	g, err := model.Graph(vit.GraphConfig{
		ForwardOptions: vit.ForwardOptions{Output: meta.Output.graph()},
		Batch:          1,
		Weights:        weights,
		DynamicBatch:   true,
	})
	if err != nil {
		return nil, meta, fmt.Errorf("export: build graph: %w", err)
	}
	props, err := meta.Encode()
	if err != nil {
		return nil, meta, fmt.Errorf("export: %w", err)
	}
	for k, v := range props {
		g.Metadata[k] = v
	}
	b, err := g.Model()
	if err != nil {
		return nil, meta, fmt.Errorf("export: serialise model: %w", err)
	}
	return b, meta, nil
}

// Graph serialises g, a finished graph with its weights as initializers,
// with meta as its metadata: the writer of the models that Model does not
// build, such as package detect's detectors (Output Detections). meta must
// be complete, as Decode requires; it is checked by encoding and decoding
// it before anything is written.
func Graph(g *graphgen.Graph, meta Meta) ([]byte, error) {
	props, err := meta.Encode()
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if _, err := Decode(props); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for k, v := range props {
		g.Metadata[k] = v
	}
	b, err := g.Model()
	if err != nil {
		return nil, fmt.Errorf("export: serialise model: %w", err)
	}
	return b, nil
}
