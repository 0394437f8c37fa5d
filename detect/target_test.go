package detect

import (
	"math"
	"testing"
)

// TestGaussianRadius against values worked by hand from the three
// quadratics: for a 5×5 box the grown case binds, (-14 + √280)/2.
func TestGaussianRadius(t *testing.T) {
	for _, c := range []struct{ w, h, want float64 }{
		{5, 5, (-14 + math.Sqrt(280)) / 2},
		{10, 10, (-28 + math.Sqrt(784+16*0.7*0.3*100)) / 2},
		{40, 2, (-2*0.7*42 + math.Sqrt(math.Pow(2*0.7*42, 2)+16*0.7*0.3*80)) / 2},
	} {
		if got := gaussianRadius(c.w, c.h); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("radius of %v×%v = %.15g, want %.15g", c.w, c.h, got, c.want)
		}
	}
}

// TestEncodeDecodeRoundTrip: outputs equal to the targets decode to the
// boxes that made them.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := tinyDetector(t, 32)
	enc := m.Encoder(2)
	tg := enc.NewTargets()
	if err := enc.Encode(testBoxes, tg); err != nil {
		t.Fatal(err)
	}
	heat := make([]float32, len(tg.Positive))
	for i, p := range tg.Positive {
		heat[i] = -9
		if p == 1 {
			heat[i] = 9
		}
	}
	dets, err := m.Decoder(10, 0.5).Decode(heat, tg.Box, 2)
	if err != nil {
		t.Fatal(err)
	}
	for b, want := range testBoxes {
		if len(dets[b]) != len(want) {
			t.Fatalf("image %d: %d detections, want %d: %+v", b, len(dets[b]), len(want), dets[b])
		}
		for _, w := range want {
			found := false
			for _, d := range dets[b] {
				if d.Class == w.Class && math.Abs(d.X-w.X)+math.Abs(d.Y-w.Y)+math.Abs(d.W-w.W)+math.Abs(d.H-w.H) < 1e-4 {
					found = true
				}
			}
			if !found {
				t.Errorf("image %d: %+v not decoded; got %+v", b, w, dets[b])
			}
		}
	}
}

func TestEncodeHeatmap(t *testing.T) {
	m := tinyDetector(t, 32)
	enc := m.Encoder(1)
	tg := enc.NewTargets()
	// A 10×10 box centred at (11, 11): centre cell (5, 5) at stride 2.
	if err := enc.Encode([][]Box{{{X: 6, Y: 6, W: 10, H: 10, Class: 1}}}, tg); err != nil {
		t.Fatal(err)
	}
	s := m.OutputSide()
	at := func(ch, x, y int) int { return (ch*s+y)*s + x }
	if tg.Positive[at(1, 5, 5)] != 1 || tg.NegWeight[at(1, 5, 5)] != 0 || tg.Objects != 1 {
		t.Fatalf("centre not positive")
	}
	// Radius of a 5×5-cell box is 1.27: ⌊r⌋ = 1, σ = 0.5; a neighbour
	// has Y = exp(-2), so its weight is (1-Y)^4.
	want := math.Pow(1-math.Exp(-2), 4)
	if got := float64(tg.NegWeight[at(1, 6, 5)]); math.Abs(got-want) > 1e-6 {
		t.Errorf("neighbour weight %.6f, want %.6f", got, want)
	}
	if tg.NegWeight[at(1, 7, 5)] != 1 || tg.NegWeight[at(0, 5, 5)] != 1 {
		t.Errorf("weights outside the Gaussian or in another class are not 1")
	}
	if got := tg.Box[(0*s+5)*s+5]; got != 0.5 {
		t.Errorf("x offset %v, want 0.5", got)
	}
	if got := tg.Box[(2*s+5)*s+5]; math.Abs(float64(got)-math.Log(10.0/32)) > 1e-6 {
		t.Errorf("log width %v, want log(10/32)", got)
	}
}

func TestEncodeRejectsBadBoxes(t *testing.T) {
	m := tinyDetector(t, 32)
	enc := m.Encoder(1)
	tg := enc.NewTargets()
	for _, b := range []Box{
		{X: 1, Y: 1, W: 0, H: 3},
		{X: 1, Y: 1, W: 3, H: 3, Class: 3},
		{X: 40, Y: 1, W: 3, H: 3},
		{X: math.NaN(), Y: 1, W: 3, H: 3},
	} {
		if err := enc.Encode([][]Box{{b}}, tg); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
	if err := enc.Encode(make([][]Box, 2), tg); err == nil {
		t.Errorf("two images accepted for a batch of one")
	}
}
