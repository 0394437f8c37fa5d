package complexity

import (
	"fmt"
	"testing"
	"time"

	"github.com/asvit/asvit/vit"
)

// floorFLOPS is the sustained rate the FLOPs floor is quoted against.
const floorFLOPS = 200e9

// The benchmarks measure the seed topology at the authors' batch and curve
// points, every iteration building its graph and session afresh (cache size
// 0), as for a new candidate. Besides ns/op they report the seconds per
// candidate split by part, and floor-s: the FLOPs that cannot be avoided,
// about 3 forward passes over the batch for κ (forward, backward, Gram)
// plus 2 over the curve points for L^E (forward and JVP), at 200 GFLOP/s.
func benchmarkMeasure(b *testing.B, image, repeat int, method Method) {
	s := DefaultSettings()
	s.Image, s.Repeat, s.Method, s.CacheSize = image, repeat, method, 0
	top := parse(b, seedTopology)
	model, err := vit.New(vit.NewSpec(top, image, s.Classes))
	if err != nil {
		b.Fatal(err)
	}
	m := newMeasurer(b, s)
	var t Timing
	b.ResetTimer()
	for b.Loop() {
		r := measure(b, m, top)
		t.Build += r.Timing.Build
		t.Session += r.Timing.Session
		t.Weights += r.Timing.Weights
		t.Run += r.Timing.Run
	}
	n := float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()/n, "s/candidate")
	for _, part := range []struct {
		name string
		d    time.Duration
	}{{"build-s", t.Build}, {"session-s", t.Session}, {"weights-s", t.Weights}, {"run-s", t.Run}} {
		b.ReportMetric(part.d.Seconds()/n, part.name)
	}
	flops := float64(repeat) * float64(3*s.Batch+2*s.CurvePoints) * float64(model.FLOPs())
	b.ReportMetric(flops/floorFLOPS, "floor-s")
}

func BenchmarkMeasure(b *testing.B) {
	for _, image := range []int{32, 64, 224} {
		for _, repeat := range []int{1, 5} {
			for _, method := range []Method{Fast, BruteForce} {
				b.Run(fmt.Sprintf("img=%d/repeat=%d/%v", image, repeat, method), func(b *testing.B) {
					if method == BruteForce && image == 224 {
						// 256 backward passes over 10 images and 16 over one
						// image per repeat: about 12× the 64 px time.
						b.Skip("brute force at 224 px takes minutes per repeat")
					}
					benchmarkMeasure(b, image, repeat, method)
				})
			}
		}
	}
}

// BenchmarkMeasureCached measures a topology whose session is cached: only
// drawing the weights and running remain.
func BenchmarkMeasureCached(b *testing.B) {
	for _, image := range []int{64, 224} {
		b.Run(fmt.Sprintf("img=%d", image), func(b *testing.B) {
			s := DefaultSettings()
			s.Image, s.Repeat = image, 1
			m := newMeasurer(b, s)
			top := parse(b, seedTopology)
			measure(b, m, top)
			b.ResetTimer()
			for b.Loop() {
				measure(b, m, top)
			}
		})
	}
}

func BenchmarkNewProbe(b *testing.B) {
	s := DefaultSettings()
	for b.Loop() {
		if _, err := NewProbe(s, ProbeSource{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadWeights(b *testing.B) {
	s := DefaultSettings()
	model, err := vit.New(vit.NewSpec(parse(b, seedTopology), s.Image, s.Classes))
	if err != nil {
		b.Fatal(err)
	}
	bytes := exportedModel(b, model, 1)
	b.SetBytes(int64(len(bytes)))
	for b.Loop() {
		if _, err := ReadWeights(bytes); err != nil {
			b.Fatal(err)
		}
	}
}
