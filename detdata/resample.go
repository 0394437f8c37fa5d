package detdata

import "math"

// tap is one source sample of an output pixel along an axis.
type tap struct {
	i int
	w float32
}

// taps maps each of out output positions to the source positions (of in)
// it reads. Enlarging interpolates linearly with pixel centres aligned
// (src = (dst+0.5)·in/out − 0.5, clamped), as package data resizes;
// shrinking averages the source pixels each output pixel covers, weighted by
// the covered length, so thin strokes survive.
func taps(in, out int) [][]tap {
	t := make([][]tap, out)
	scale := float64(in) / float64(out)
	if out >= in {
		for j := range t {
			s := min(max((float64(j)+0.5)*scale-0.5, 0), float64(in-1))
			i0 := int(math.Floor(s))
			i1 := min(i0+1, in-1)
			w := float32(s - float64(i0))
			t[j] = []tap{{i0, 1 - w}, {i1, w}}
		}
		return t
	}
	for j := range t {
		lo, hi := float64(j)*scale, float64(j+1)*scale
		for i := int(lo); i < in && float64(i) < hi; i++ {
			cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			if cover > 0 {
				t[j] = append(t[j], tap{i, float32(cover / scale)})
			}
		}
	}
	return t
}

// resize resamples the h×w plane src to oh×ow, rounding to uint8.
func resize(src []uint8, h, w, oh, ow int) []uint8 {
	rows, cols := taps(h, oh), taps(w, ow)
	// Columns first, into a float h×ow plane, then rows.
	mid := make([]float32, h*ow)
	for y := range h {
		line := src[y*w : (y+1)*w]
		for x, ts := range cols {
			var v float32
			for _, c := range ts {
				// The conversion keeps the product from fusing with the
				// sum, so every platform rounds alike.
				v += float32(c.w * float32(line[c.i]))
			}
			mid[y*ow+x] = v
		}
	}
	out := make([]uint8, oh*ow)
	for y, ts := range rows {
		for x := range ow {
			var v float32
			for _, r := range ts {
				v += float32(r.w * mid[r.i*ow+x])
			}
			out[y*ow+x] = uint8(min(max(v+0.5, 0), 255))
		}
	}
	return out
}
