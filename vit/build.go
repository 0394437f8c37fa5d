package vit

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
)

// Names of the graph inputs and outputs that Graph declares.
const (
	InputName    = "input"
	LogitsName   = "logits"
	FeaturesName = "features"
)

// StageMapName is the output name of stage i's map (i from 0) in a
// StageMaps graph.
func StageMapName(i int) string { return fmt.Sprintf("stage%d", i+1) }

// GraphConfig describes a whole-model graph.
type GraphConfig struct {
	ForwardOptions
	Batch int
	DType graphgen.DType // Float32 when zero
	// Weights, aligned with ParamTable, become initializers; nil makes the
	// parameters graph inputs named as in ParamTable.
	Weights [][]float32
	// DynamicBatch lets the serialised model take any batch size.
	DynamicBatch bool
}

// Graph builds the model as a standalone graph with input InputName and
// outputs LogitsName, FeaturesName or StageMapName(0..3).
func (m Model) Graph(cfg GraphConfig) (*graphgen.Graph, error) {
	if cfg.Batch < 1 {
		return nil, fmt.Errorf("graph: batch %d, want ≥ 1", cfg.Batch)
	}
	dt := cfg.DType
	if dt == 0 {
		dt = graphgen.Float32
	}
	s := m.spec
	g := graphgen.New("asvit")
	g.ParamsAsInputs = cfg.Weights == nil
	g.DynamicBatch = cfg.DynamicBatch
	params, err := m.DeclareParams(g, dt, cfg.Weights)
	if err != nil {
		return nil, err
	}
	x := g.Input(InputName, dt, cfg.Batch, s.Channels, s.Image, s.Image)
	outs, err := m.Forward(g, x, params, cfg.ForwardOptions)
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		switch cfg.Output {
		case Logits:
			g.Output(LogitsName, outs[0])
		case Features:
			g.Output(FeaturesName, outs[0])
		case StageMaps:
			for i, o := range outs {
				g.Output(StageMapName(i), o)
			}
		}
	})
	return g, err
}
