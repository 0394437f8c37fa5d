package cli

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// benchSizes are the input resolutions the benchmarks run the seed at.
var benchSizes = []int{32, 64, 224}

func benchModel(b *testing.B, img int) vit.Model {
	b.Helper()
	top, err := vit.Parse(seedArch)
	if err != nil {
		b.Fatal(err)
	}
	m, err := vit.New(vit.NewSpec(top, img, 1000))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchBytes(b *testing.B, m vit.Model) []byte {
	b.Helper()
	g, err := m.Graph(vit.GraphConfig{Batch: 1, Weights: m.Init(1), DynamicBatch: true})
	if err != nil {
		b.Fatal(err)
	}
	model, err := g.Model()
	if err != nil {
		b.Fatal(err)
	}
	return model
}

// BenchmarkGraphBuild builds and serialises the seed's inference graph,
// weights drawn beforehand.
func BenchmarkGraphBuild(b *testing.B) {
	for _, img := range benchSizes {
		b.Run(fmt.Sprintf("img=%d", img), func(b *testing.B) {
			m := benchModel(b, img)
			w := m.Init(1)
			for b.Loop() {
				g, err := m.Graph(vit.GraphConfig{Batch: 1, Weights: w, DynamicBatch: true})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := g.Model(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSession creates and destroys an ONNX Runtime session for the
// seed's model.
func BenchmarkSession(b *testing.B) {
	initORT(b)
	for _, img := range benchSizes {
		b.Run(fmt.Sprintf("img=%d", img), func(b *testing.B) {
			model := benchBytes(b, benchModel(b, img))
			for b.Loop() {
				s, err := ort.NewSession(model, []string{vit.InputName}, []string{vit.LogitsName}, ort.Options{})
				if err != nil {
					b.Fatal(err)
				}
				s.Destroy()
			}
		})
	}
}

// BenchmarkForward runs the seed on batches of 1 and 16 and reports the
// achieved GFLOP/s, counting 2 FLOPs per MAC of the authors' counter.
func BenchmarkForward(b *testing.B) {
	initORT(b)
	for _, img := range benchSizes {
		m := benchModel(b, img)
		model := benchBytes(b, m)
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("img=%d/batch=%d", img, batch), func(b *testing.B) {
				s, err := ort.NewSession(model, []string{vit.InputName}, []string{vit.LogitsName}, ort.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Destroy()
				rng := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, batch*3*img*img)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				in, err := ort.NewFloat32([]int64{int64(batch), 3, int64(img), int64(img)}, x)
				if err != nil {
					b.Fatal(err)
				}
				defer in.Destroy()
				out, err := ort.ZerosFloat32([]int64{int64(batch), 1000})
				if err != nil {
					b.Fatal(err)
				}
				defer out.Destroy()
				for b.Loop() {
					if err := s.RunInto([]*ort.Tensor{in}, []*ort.Tensor{out}); err != nil {
						b.Fatal(err)
					}
				}
				flops := float64(m.FLOPs()) * float64(batch) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkExport runs the export command at 224 px: weights, graph,
// serialisation and the atomic write.
func BenchmarkExport(b *testing.B) {
	opts := exportOptions{Arch: seedArch, Out: filepath.Join(b.TempDir(), "m.onnx"), Image: 224, Classes: 1000, Channels: 3, Outputs: "logits"}
	for b.Loop() {
		if err := runExport(context.Background(), opts, &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreprocessImage decodes a 640×480 PNG and makes its 224 px
// model input.
func BenchmarkPreprocessImage(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{pattern(0, x, y), pattern(1, x, y), pattern(2, x, y), 255})
		}
	}
	path := filepath.Join(b.TempDir(), "a.png")
	writePNG(b, path, img)
	meta := export.Meta{Network: export.Network{Image: 224, Channels: 3}, Mean: imageNetMean, Std: imageNetStd}
	dst := make([]float32, 3*224*224)
	for b.Loop() {
		if err := preprocessImage(dst, path, meta); err != nil {
			b.Fatal(err)
		}
	}
}
