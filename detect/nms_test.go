package detect

import (
	"math"
	"slices"
	"testing"
)

func TestIoU(t *testing.T) {
	a := Box{X: 0, Y: 0, W: 10, H: 10}
	for _, c := range []struct {
		b    Box
		want float64
	}{
		{a, 1},
		{Box{X: 5, Y: 0, W: 10, H: 10}, 50.0 / 150},
		{Box{X: 2, Y: 2, W: 4, H: 4}, 16.0 / 100},
		{Box{X: 10, Y: 0, W: 5, H: 5}, 0}, // touching
		{Box{X: 3, Y: 3, W: 0, H: 4}, 0},  // no area
		{Box{X: 20, Y: 20, W: 5, H: 5}, 0},
	} {
		if got := IoU(a, c.b); math.Abs(got-c.want) > 1e-15 || IoU(c.b, a) != got {
			t.Errorf("IoU(%v, %v) = %v, want %v", a, c.b, got, c.want)
		}
	}
}

func TestNMS(t *testing.T) {
	sq := func(x float64, class int, score float64) Detection {
		return Detection{Box: Box{X: x, Y: 0, W: 10, H: 10, Class: class}, Score: score}
	}
	// Shifts of 3.2 and 3.5 give IoUs (10−s)/(10+s) of 0.515 and 0.481.
	dets := []Detection{sq(0, 0, 0.9), sq(0, 1, 0.85), sq(3.2, 0, 0.8), sq(3.5, 0, 0.7), sq(3.2, 1, 0.6), sq(40, 0, 0.5)}
	for _, c := range []struct {
		iou  float64
		want []int
	}{
		{0.5, []int{0, 1, 3, 5}},     // box 2 overlaps box 0 by 0.515, box 4 box 1 by 0.515; box 3 only 0.481 (and box 2 is gone)
		{0.52, []int{0, 1, 2, 4, 5}}, // box 3 overlaps box 2 by 9.7/10.3
		{0.4, []int{0, 1, 5}},
		{1, []int{0, 1, 2, 3, 4, 5}},
	} {
		var want []Detection
		for _, i := range c.want {
			want = append(want, dets[i])
		}
		if got := NMS(dets, c.iou); !slices.Equal(got, want) {
			t.Errorf("threshold %g: kept %v, want %v", c.iou, got, want)
		}
	}
	if got := NMS(nil, 0.5); len(got) != 0 {
		t.Errorf("NMS of nothing: %v", got)
	}
}

// TestDecoderNMS: with IoUThreshold unset Decode is as before; set, it
// equals NMS applied to that result.
func TestDecoderNMS(t *testing.T) {
	const side, classes, batch = 6, 2, 2
	cells := side * side
	heat := make([]float32, batch*classes*cells)
	box := make([]float32, batch*BoxChannels*cells)
	for i := range heat {
		heat[i] = float32(math.Sin(float64(i) * 1.7))
	}
	for b := range batch {
		for k := range cells {
			box[(b*BoxChannels+2)*cells+k] = 1.6 // boxes 4e^1.6 ≈ 20 px wide at stride 4
			box[(b*BoxChannels+3)*cells+k] = 1.4
		}
	}
	d := Decoder{Classes: classes, Side: side, Stride: 4, TopK: 12, MinScore: 0.55}
	plain, err := d.Decode(heat, box, batch)
	if err != nil {
		t.Fatal(err)
	}
	d.IoUThreshold = 0.3
	nms, err := d.Decode(heat, box, batch)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for b := range batch {
		if !slices.Equal(nms[b], NMS(plain[b], 0.3)) {
			t.Errorf("image %d: Decode with NMS %v, want NMS of %v", b, nms[b], plain[b])
		}
		removed += len(plain[b]) - len(nms[b])
	}
	if removed == 0 {
		t.Error("NMS removed nothing; the case tests nothing")
	}
	d.IoUThreshold = -1
	if _, err := d.Decode(heat, box, batch); err == nil {
		t.Error("a negative IoU threshold was accepted")
	}
}
