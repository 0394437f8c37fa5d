package data

import (
	"math"
	"testing"
)

// bilinearRef is bilinear interpolation with aligned pixel centres written
// from its definition, in float64, one output pixel at a time.
func bilinearRef(src []uint8, h, w, oh, ow int) []float64 {
	out := make([]float64, oh*ow)
	coord := func(o, in, out int) (int, int, float64) {
		s := math.Max((float64(o)+0.5)*float64(in)/float64(out)-0.5, 0)
		i0 := int(s)
		if i0 >= in-1 {
			return in - 1, in - 1, 0
		}
		return i0, i0 + 1, s - float64(i0)
	}
	for y := range oh {
		y0, y1, wy := coord(y, h, oh)
		for x := range ow {
			x0, x1, wx := coord(x, w, ow)
			at := func(yy, xx int) float64 { return float64(src[yy*w+xx]) }
			top := at(y0, x0)*(1-wx) + at(y0, x1)*wx
			bottom := at(y1, x0)*(1-wx) + at(y1, x1)*wx
			out[y*ow+x] = top*(1-wy) + bottom*wy
		}
	}
	return out
}

func TestResizePlaneKnownValues(t *testing.T) {
	// PyTorch's interpolate([0, 100], size=4, align_corners=False) gives
	// [0, 25, 75, 100]; a 2×2 block average halves a 4×4 plane.
	up := make([]uint8, 4)
	resizePlane(up, []uint8{0, 100}, 2, bilinearTaps(1, 1), bilinearTaps(2, 4))
	if want := []uint8{0, 25, 75, 100}; string(up) != string(want) {
		t.Errorf("upsampled row = %v, want %v", up, want)
	}
	down := make([]uint8, 4)
	src := []uint8{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150}
	resizePlane(down, src, 4, bilinearTaps(4, 2), bilinearTaps(4, 2))
	if want := []uint8{25, 45, 105, 125}; string(down) != string(want) {
		t.Errorf("downsampled plane = %v, want %v", down, want)
	}
	same := make([]uint8, 16)
	resizePlane(same, src, 4, bilinearTaps(4, 4), bilinearTaps(4, 4))
	if string(same) != string(src) {
		t.Errorf("same-size resize changed the plane: %v", same)
	}
}

func TestResizePlaneMatchesReference(t *testing.T) {
	src := synthSplit("x", 1, 1, 7, 5, 1, 0).Images
	for _, size := range [][2]int{{3, 2}, {7, 5}, {11, 13}, {32, 32}} {
		oh, ow := size[0], size[1]
		got := make([]uint8, oh*ow)
		resizePlane(got, src, 5, bilinearTaps(7, oh), bilinearTaps(5, ow))
		for i, want := range bilinearRef(src, 7, 5, oh, ow) {
			// Rounding to uint8 is within half a level; float32 adds far less.
			if math.Abs(float64(got[i])-want) > 0.5+1e-3 {
				t.Fatalf("%d×%d: pixel %d = %d, want %.3f", oh, ow, i, got[i], want)
			}
		}
	}
}

func BenchmarkResizePlane28To32(b *testing.B) {
	src := synthSplit("x", 1, 1, 28, 28, 1, 0).Images
	dst := make([]uint8, 32*32)
	rows, cols := bilinearTaps(28, 32), bilinearTaps(28, 32)
	for b.Loop() {
		resizePlane(dst, src, 28, rows, cols)
	}
}
