package complexity

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/vit"
)

// The PyTorch parity fixture of package vit (see vit/parity_test.go and
// scripts/parity/asvit_torch.py) also holds, for the cases with the default
// patch embedding, κ, the extreme eigenvalues of Θ and L^E (radius 1 and
// √N, 10 points) of its weights, computed in float64 the authors' way: one
// backward pass per sample of Σ features for the gradients of every
// parameter named "weight" that gets one, and one backward pass per feature
// coordinate for dfeatures/dθ through x(θ) = r(u0 cos θ + u1 sin θ).
const parityDir = "../vit/testdata/parity"

// parityMeasureTol bounds |got − want| / |want| for κ, λmin, λmax and L^E.
// The measures run in float32 (the per-sample gradients and Θ, the JVP or
// the per-coordinate backward passes) and are reduced in float64. Θ is well
// conditioned here (κ ≈ 1.4–2.6 on batches of 4), so the measures carry the
// float32 rounding of the gradients and their sums: measured ≤ 6.2e-7 for
// κ, ≤ 5.7e-7 for λmin and λmax and ≤ 1.8e-7 for L^E, either method.
// PyTorch's own float32 κ and L^E are within 2.3e-7 and 6.6e-8 of its
// float64 ones. The bound leaves a factor of ~15 for other CPUs' kernels,
// while the smallest slip tried moves a measure by 1.6e-4 or more (κ
// without the LayerNorm weights; with the biases, 1.7e-2; L^E with the
// LayerNorms on, 0.2 or more; 9 curve points instead of 10, 0.1).
const parityMeasureTol = 1e-5

type parityMeasureCase struct {
	Name          string  `json:"name"`
	Arch          string  `json:"arch"`
	Image         int     `json:"image"`
	Channels      int     `json:"channels"`
	Classes       int     `json:"classes"`
	PatchStride   int     `json:"patch_stride"`
	PatchDilation int     `json:"patch_dilation"`
	Batch         int     `json:"batch"`
	CurvePoints   int     `json:"curve_points"` // 0: the case has no measures
	Kappa         float64 `json:"kappa"`
	LambdaMin     float64 `json:"lambda_min"`
	LambdaMax     float64 `json:"lambda_max"`
	Length        float64 `json:"length_distortion"`
	LengthSqrtN   float64 `json:"length_distortion_sqrt_n"`
}

// TestTorchParityMeasures measures the fixture's weights with
// MeasureWeights, on its inputs (ProbeSource.Inputs) and curve basis
// (ProbeSource.CurveBasis), with both radii, and compares with PyTorch;
// the first case is also measured by BruteForce.
func TestTorchParityMeasures(t *testing.T) {
	initORT(t)
	b, err := os.ReadFile(filepath.Join(parityDir, "manifest.json"))
	if err != nil {
		t.Fatalf("the PyTorch parity fixture is missing (regenerate it with scripts/parity/asvit_torch.py): %v", err)
	}
	var man struct {
		Cases []parityMeasureCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("%s/manifest.json: %v", parityDir, err)
	}
	measured := 0
	for _, c := range man.Cases {
		if c.CurvePoints == 0 {
			continue
		}
		measured++
		t.Run(c.Name, func(t *testing.T) {
			if c.PatchStride != vit.DefaultPatchStride || c.PatchDilation != vit.DefaultPatchDilation {
				t.Fatalf("patch stride %d, dilation %d: the measures take the default patch embedding", c.PatchStride, c.PatchDilation)
			}
			top := parse(t, c.Arch)
			w := parityWeights(t, c, top)
			src := ProbeSource{
				Inputs:     filepath.Join(parityDir, c.Name+".input.npy"),
				CurveBasis: filepath.Join(parityDir, c.Name+".basis.npy"),
			}
			type method struct {
				method Method
				radius Radius
			}
			runs := []method{{Fast, RadiusOne}, {Fast, RadiusSqrtN}}
			if measured == 1 { // the slow reference method, on the first case
				runs = append(runs, method{BruteForce, RadiusOne})
			}
			for _, run := range runs {
				s := DefaultSettings()
				s.Image, s.Channels, s.Classes = c.Image, c.Channels, c.Classes
				s.Batch, s.CurvePoints, s.Repeat = c.Batch, c.CurvePoints, 1
				s.Method, s.Radius = run.method, run.radius
				p, err := NewProbe(s, src)
				if err != nil {
					t.Fatal(err)
				}
				m, err := NewMeasurer(s, p)
				if err != nil {
					t.Fatal(err)
				}
				res, err := m.MeasureWeights(context.Background(), top, w)
				m.Close()
				if err != nil {
					t.Fatal(err)
				}
				if res.Bad || len(res.PerRepeat) != 1 {
					t.Fatalf("%s: bad %v, %d repeats; want a good network and one repeat", run.method, res.Bad, len(res.PerRepeat))
				}
				wantLength := c.Length
				if run.radius == RadiusSqrtN {
					wantLength = c.LengthSqrtN
				}
				r := res.PerRepeat[0]
				for _, q := range []struct {
					what      string
					got, want float64
				}{
					{"κ", r.NTKCond, c.Kappa},
					{"λmin", r.LambdaMin, c.LambdaMin},
					{"λmax", r.LambdaMax, c.LambdaMax},
					{"L^E", r.LengthDistortion, wantLength},
				} {
					e := relErr(q.got, q.want)
					t.Logf("%-11s radius %-6s %-4s %.10g, torch %.10g, relative error %.2e", run.method, run.radius, q.what, q.got, q.want, e)
					if !(e <= parityMeasureTol) {
						t.Errorf("%s, radius %s: %s = %.10g, PyTorch %.10g: relative error %.3g > %g", run.method, run.radius, q.what, q.got, q.want, e, parityMeasureTol)
					}
				}
			}
		})
	}
	if measured == 0 {
		t.Fatalf("%s/manifest.json has no case with measures", parityDir)
	}
}

// parityWeights reads the case's weights, flattened in ParamTable order, and
// returns them as LoadWeights would from an exported model: the initializers
// of the model's graph serialised with them.
func parityWeights(t *testing.T, c parityMeasureCase, top vit.Topology) *Weights {
	t.Helper()
	spec := vit.NewSpec(top, c.Image, c.Classes)
	spec.Channels = c.Channels
	model, err := vit.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	table := model.ParamTable()
	total := 0
	for _, p := range table {
		total += p.Size()
	}
	shape, flat, err := data.ReadNPYFloat32(filepath.Join(parityDir, c.Name+".weights.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 1 || shape[0] != total {
		t.Fatalf("%s.weights.npy: shape %v, want [%d] (the ParamTable's parameters)", c.Name, shape, total)
	}
	weights := make([][]float32, len(table))
	for k, p := range table {
		weights[k], flat = flat[:p.Size()], flat[p.Size():]
	}
	g, err := model.Graph(vit.GraphConfig{Batch: 1, Weights: weights, ForwardOptions: vit.ForwardOptions{Output: vit.Features}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	w, err := ReadWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
