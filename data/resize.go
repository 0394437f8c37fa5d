package data

import "math"

// tap is one bilinear sample along an axis: v = a[i0] + w·(a[i1] − a[i0]).
type tap struct {
	i0, i1 int32
	w      float32
}

// bilinearTaps maps each of out positions to the two of in positions it
// interpolates. Pixel centres are aligned (src = (dst+0.5)·in/out − 0.5,
// clamped at the borders) as in PyTorch's interpolate with
// align_corners=False; there is no antialiasing when shrinking. Equal sizes
// give the identity.
func bilinearTaps(in, out int) []tap {
	taps := make([]tap, out)
	scale := float64(in) / float64(out)
	for i := range taps {
		s := max((float64(i)+0.5)*scale-0.5, 0)
		i0 := min(int(math.Floor(s)), in-1)
		i1 := min(i0+1, in-1)
		taps[i] = tap{int32(i0), int32(i1), float32(s - float64(i0))}
	}
	return taps
}

// interpRow writes into out (one value per column tap) row r of plane src,
// which has width w, interpolated vertically then horizontally. tmp holds w
// values of scratch.
func interpRow(out, tmp []float32, src []uint8, w int, r tap, cols []tap) {
	a := src[int(r.i0)*w : int(r.i0)*w+w]
	b := src[int(r.i1)*w : int(r.i1)*w+w]
	tmp = tmp[:w]
	for x := range tmp {
		tmp[x] = float32(a[x]) + r.w*(float32(b[x])-float32(a[x]))
	}
	for j, c := range cols[:len(out)] {
		out[j] = tmp[c.i0] + c.w*(tmp[c.i1]-tmp[c.i0])
	}
}

// resizePlane resizes the h×w plane src into dst, len(rows)×len(cols), with
// taps from bilinearTaps, rounding to the nearest uint8.
func resizePlane(dst, src []uint8, w int, rows, cols []tap) {
	out := make([]float32, len(cols))
	tmp := make([]float32, w)
	for y, r := range rows {
		interpRow(out, tmp, src, w, r, cols)
		for x, v := range out {
			dst[y*len(cols)+x] = uint8(v + 0.5)
		}
	}
}
