package proxies

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// Input is the probe batch every proxy of a study sees: Images N×C×R×R,
// normalised as for training, and their labels in [0, classes).
type Input struct {
	Images []float32
	Labels []int64
	N      int
}

// Scores holds one network's proxies; for every one, higher predicts better
// accuracy. NASWOT is −Inf when two probe images have the same activation
// code (K_H is singular); encoding/json refuses such a value.
type Scores struct {
	GradNorm float64 `json:"grad_norm"`
	SNIP     float64 `json:"snip"`
	Synflow  float64 `json:"synflow"` // the plain sum, not its log (see the package doc)
	NASWOT   float64 `json:"naswot"`
	DSS      float64 `json:"dss"`
	Seconds  float64 `json:"seconds"` // wall time of the whole Measure call
}

// Measure computes every proxy of model m with the given weights (aligned
// with m.ParamTable(), e.g. m.Init(seed)) on in. It builds one graph,
// creates an ONNX Runtime session with opts, runs it once and destroys it;
// the reductions are done here in float64. The package doc defines each
// proxy.
func Measure(ctx context.Context, m vit.Model, weights [][]float32, in Input, opts ort.Options) (Scores, error) {
	start := time.Now()
	if err := check(m, weights, in); err != nil {
		return Scores{}, fmt.Errorf("proxies: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Scores{}, err
	}
	pg, err := buildGraph(m, in.N)
	if err != nil {
		return Scores{}, fmt.Errorf("proxies: build graph: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Scores{}, err
	}
	abs := absolute(weights)
	r, err := pg.run(m, weights, abs, in, opts)
	if err != nil {
		return Scores{}, fmt.Errorf("proxies: %w", err)
	}
	ws, absWs := pick(weights, pg.weights), pick(abs, pg.weights)
	return Scores{
		GradNorm: gradNorm(r.lossGrads),
		SNIP:     saliencySum(ws, r.lossGrads),
		Synflow:  saliencySum(absWs, r.flowGrads),
		NASWOT:   logAbsDet(newCodes(in.N, r.geluInputs).kernel()),
		DSS:      dss(m.ParamTable(), pg.weights, absWs, r.flowGrads),
		Seconds:  time.Since(start).Seconds(),
	}, nil
}

// check validates the weights and the batch against m.
func check(m vit.Model, weights [][]float32, in Input) error {
	table := m.ParamTable()
	if len(weights) != len(table) {
		return fmt.Errorf("got %d weight tensors, the model has %d (one per ParamTable entry)", len(weights), len(table))
	}
	for k, p := range table {
		if len(weights[k]) != p.Size() {
			return fmt.Errorf("weight %d (%s, shape %v) has %d values, want %d", k, p.Name, p.Shape, len(weights[k]), p.Size())
		}
	}
	s := m.Spec()
	if in.N < 1 {
		return fmt.Errorf("batch size N = %d, want ≥ 1", in.N)
	}
	per := s.Channels * s.Image * s.Image
	if len(in.Images) != in.N*per {
		return fmt.Errorf("images: got %d values, want N×C×R×R = %d×%d×%d×%d = %d", len(in.Images), in.N, s.Channels, s.Image, s.Image, in.N*per)
	}
	if len(in.Labels) != in.N {
		return fmt.Errorf("labels: got %d, want one per image (N = %d)", len(in.Labels), in.N)
	}
	for i, l := range in.Labels {
		if l < 0 || l >= int64(s.Classes) {
			return fmt.Errorf("label %d of image %d is outside [0, %d)", l, i, s.Classes)
		}
	}
	for i, x := range in.Images {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("images: value %d (image %d) is %v; want finite values", i, i/per, x)
		}
	}
	return nil
}
