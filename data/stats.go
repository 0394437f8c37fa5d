package data

import (
	"fmt"
	"math"
)

// pixelStats returns the mean and population standard deviation, on the [0,1]
// scale, of each of the given channels of s as a Loader produces them: gray
// replicated to 3 channels, or RGB averaged to 1. The sums are exact
// (histograms), so the result depends only on the pixels.
func pixelStats(s *Split, channels int) (mean, std []float32) {
	plane := s.H * s.W
	if s.C == 3 && channels == 1 {
		// Histogram of r+g+b, which is 3·255·(the averaged value).
		var hist [3*255 + 1]uint64
		for i := range s.N {
			img := s.Image(i)
			r, g, b := img[:plane], img[plane:2*plane], img[2*plane:]
			for p := range plane {
				hist[int(r[p])+int(g[p])+int(b[p])]++
			}
		}
		m, sd := histStats(hist[:], 3*255)
		return []float32{m}, []float32{sd}
	}
	for c := range s.C {
		var hist [256]uint64
		for i := range s.N {
			for _, v := range s.Image(i)[c*plane : (c+1)*plane] {
				hist[v]++
			}
		}
		m, sd := histStats(hist[:], 255)
		mean, std = append(mean, m), append(std, sd)
	}
	for len(mean) < channels { // gray replicated
		mean, std = append(mean, mean[0]), append(std, std[0])
	}
	return mean, std
}

// histStats returns the mean and population standard deviation of values
// v/scale, where hist[v] counts value v.
func histStats(hist []uint64, scale float64) (mean, std float32) {
	var n, sum, sumSq float64
	for v, k := range hist {
		f := float64(k)
		n += f
		sum += f * float64(v)
		sumSq += f * float64(v) * float64(v)
	}
	m := sum / n
	variance := max(sumSq/n-m*m, 0)
	return float32(m / scale), float32(math.Sqrt(variance) / scale)
}

// Normalization returns the mean and std to give a Loader that outputs the
// given number of channels. Gray statistics are replicated to 3 channels; for
// RGB averaged to 1 channel they are computed afresh from the training split
// (the average's std does not follow from the per-channel ones).
func (d *Dataset) Normalization(channels int) (mean, std []float32, err error) {
	switch {
	case channels != 1 && channels != 3:
		return nil, nil, fmt.Errorf("channels %d is not allowed; use 1 or 3", channels)
	case channels == d.Channels():
		return append([]float32(nil), d.Mean...), append([]float32(nil), d.Std...), nil
	case channels == 3:
		return []float32{d.Mean[0], d.Mean[0], d.Mean[0]}, []float32{d.Std[0], d.Std[0], d.Std[0]}, nil
	}
	mean, std = pixelStats(d.Train, 1)
	return mean, std, nil
}

// checkNorm checks a mean and std pair given by the caller.
func checkNorm(mean, std []float32) error {
	if len(mean) != len(std) {
		return fmt.Errorf("%d mean values but %d std values; give one pair per channel", len(mean), len(std))
	}
	for c := range mean {
		if m := float64(mean[c]); math.IsNaN(m) || math.IsInf(m, 0) {
			return fmt.Errorf("mean of channel %d is %v; want a finite value", c, m)
		}
		if s := float64(std[c]); !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("std of channel %d is %v; want a positive finite value (constant images have std 0: give Std explicitly)", c, s)
		}
	}
	return nil
}
