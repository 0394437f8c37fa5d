package detect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/ort"
)

// squares draws n 32×32 images, each with one bright square (class 0) or
// one bright disc-free cross (class 1) at a random place and size.
func squares(r *rand.Rand, n int) ([]float32, [][]Box) {
	const side = 32
	images := make([]float32, n*side*side)
	boxes := make([][]Box, n)
	for i := range n {
		w := 6 + r.IntN(12)
		x, y := r.IntN(side-w), r.IntN(side-w)
		class := r.IntN(2)
		img := images[i*side*side:][:side*side]
		for yy := range w {
			for xx := range w {
				if class == 0 || xx == w/2 || yy == w/2 {
					img[(y+yy)*side+x+xx] = 2
				}
			}
		}
		boxes[i] = []Box{{X: float64(x), Y: float64(y), W: float64(w), H: float64(w), Class: class}}
	}
	return images, boxes
}

func boxIoU(a, b Box) float64 {
	ix := max(0, min(a.X+a.W, b.X+b.W)-max(a.X, b.X))
	iy := max(0, min(a.Y+a.H, b.Y+b.H)-max(a.Y, b.Y))
	i := ix * iy
	return i / (a.W*a.H + b.W*b.H - i)
}

// TestStepperLearnsSquares: a tiny detector learns to find and classify one
// object per image; the loss falls and the best detection of most
// training images overlaps its box.
func TestStepperLearnsSquares(t *testing.T) {
	m := tinyDetector(t, 32)
	const batch = 8
	s, err := NewStepper(m, m.Init(1), batch, 0.01, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	r := rand.New(rand.NewPCG(1, 2))
	var first, last float64
	const steps = 600
	for i := range steps {
		images, boxes := squares(r, batch)
		res, err := s.Step(images, boxes, 3e-3)
		if err != nil {
			t.Fatal(err)
		}
		if i < 10 {
			first += res.Loss / 10
		}
		if i >= steps-10 {
			last += res.Loss / 10
		}
	}
	if !(last < first/3) {
		t.Errorf("loss went from %.3f to %.3f, want a third or less", first, last)
	}
	images, boxes := squares(r, batch)
	heat := make([]float32, batch*m.Classes()*m.OutputSide()*m.OutputSide())
	box := make([]float32, batch*BoxChannels*m.OutputSide()*m.OutputSide())
	if err := s.Forward(images, heat, box); err != nil {
		t.Fatal(err)
	}
	dets, err := m.Decoder(5, 0).Decode(heat, box, batch)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for i, d := range dets {
		if len(d) > 0 && d[0].Class == boxes[i][0].Class && boxIoU(d[0].Box, boxes[i][0]) > 0.5 {
			hits++
		}
	}
	if hits < batch*3/4 {
		t.Errorf("%d of %d held-out images found (IoU > 0.5, right class), want ≥ %d", hits, batch, batch*3/4)
	}
}

// TestForwardMatchesFloat64: ONNX Runtime's forward against the float64
// interpreter.
func TestForwardMatchesFloat64(t *testing.T) {
	m := tinyDetector(t, 32)
	const batch = 2
	weights := m.Init(3)
	s, err := NewStepper(m, weights, batch, 0, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	images, _ := squares(rand.New(rand.NewPCG(3, 4)), batch)
	side := m.OutputSide()
	heat := make([]float32, batch*m.Classes()*side*side)
	box := make([]float32, batch*BoxChannels*side*side)
	if err := s.Forward(images, heat, box); err != nil {
		t.Fatal(err)
	}
	g, err := m.Graph(batch, graphgen.Float64, weights)
	if err != nil {
		t.Fatal(err)
	}
	var x *graphgen.Value
	for _, in := range g.Inputs() {
		if in.Name() == ImagesName {
			x = in
		}
	}
	want, err := eval.Run(g.Outputs(), map[*graphgen.Value][]float64{x: widen(images)})
	if err != nil {
		t.Fatal(err)
	}
	for k, got := range [][]float32{heat, box} {
		worst := 0.0
		for i, v := range got {
			worst = max(worst, math.Abs(float64(v)-want[k][i])/(1+math.Abs(want[k][i])))
		}
		if worst > 1e-5 {
			t.Errorf("output %d: ORT differs from float64 by %.3g (relative)", k, worst)
		}
	}
}
