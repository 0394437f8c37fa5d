package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Detection is one predicted box with its score.
type Detection struct {
	Box
	Score float64
}

// Decoder turns the detector's outputs into detections, as CenterNet does:
// a cell is a peak when its probability is the maximum of its 3×3
// neighbourhood in its class channel; the TopK peaks of each image above
// MinScore become boxes, clipped to the image. With IoUThreshold set, NMS
// then removes, per class, the boxes overlapping a better one by more
// than it (CenterNet itself needs none, the peak test standing in for it).
type Decoder struct {
	Classes, Side, Stride int
	TopK                  int
	MinScore              float64
	// IoUThreshold is NMS's threshold, applied to the TopK boxes; 0 means
	// no NMS.
	IoUThreshold float64
}

// Decoder returns m's decoder with the given top-k and minimum score.
func (m Model) Decoder(topK int, minScore float64) Decoder {
	return Decoder{Classes: m.classes, Side: m.OutputSide(), Stride: m.Stride(), TopK: topK, MinScore: minScore}
}

// Decode returns the detections of each image of a batch from the heatmap
// logits [B, Classes, S, S] and the box branch [B, 4, S, S], best first
// (equal scores in class, row, column order).
func (d Decoder) Decode(heatmap, box []float32, batch int) ([][]Detection, error) {
	s := d.Side
	cells := s * s
	if len(heatmap) != batch*d.Classes*cells || len(box) != batch*BoxChannels*cells {
		return nil, fmt.Errorf("decode: got %d heatmap and %d box values, want %d and %d",
			len(heatmap), len(box), batch*d.Classes*cells, batch*BoxChannels*cells)
	}
	if d.TopK < 1 {
		return nil, fmt.Errorf("decode: top-k %d, want ≥ 1", d.TopK)
	}
	if !(d.IoUThreshold >= 0) {
		return nil, fmt.Errorf("decode: IoU threshold %g, want ≥ 0 (0: no NMS)", d.IoUThreshold)
	}
	image := float64(s * d.Stride)
	st := float64(d.Stride)
	out := make([][]Detection, batch)
	for b := range batch {
		var dets []Detection
		for c := range d.Classes {
			plane := heatmap[(b*d.Classes+c)*cells:][:cells]
			for y := range s {
				for x := range s {
					z := plane[y*s+x]
					if !isPeak(plane, s, x, y) {
						continue
					}
					score := 1 / (1 + math.Exp(-float64(z)))
					if score < d.MinScore {
						continue
					}
					at := func(ch int) float64 { return float64(box[(b*BoxChannels+ch)*cells+y*s+x]) }
					cx, cy := (float64(x)+at(0))*st, (float64(y)+at(1))*st
					w, h := math.Exp(at(2))*image, math.Exp(at(3))*image
					x0, y0 := clamp(cx-w/2, image), clamp(cy-h/2, image)
					x1, y1 := clamp(cx+w/2, image), clamp(cy+h/2, image)
					dets = append(dets, Detection{Box: Box{X: x0, Y: y0, W: x1 - x0, H: y1 - y0, Class: c}, Score: score})
				}
			}
		}
		slices.SortStableFunc(dets, func(p, q Detection) int { return cmp.Compare(q.Score, p.Score) })
		out[b] = dets[:min(len(dets), d.TopK)]
		if d.IoUThreshold > 0 {
			out[b] = NMS(out[b], d.IoUThreshold)
		}
	}
	return out, nil
}

// isPeak reports whether plane[y, x] is the maximum of its 3×3
// neighbourhood (ties keep every tied cell, as max-pooling equality does).
func isPeak(plane []float32, s, x, y int) bool {
	v := plane[y*s+x]
	for yy := max(0, y-1); yy <= min(s-1, y+1); yy++ {
		for xx := max(0, x-1); xx <= min(s-1, x+1); xx++ {
			if plane[yy*s+xx] > v {
				return false
			}
		}
	}
	return true
}

func clamp(v, hi float64) float64 { return min(max(v, 0), hi) }
