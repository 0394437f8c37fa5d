package detect

import (
	"fmt"
	"math"
	"slices"
)

// Box is an object's box in image pixels, COCO style: top-left corner,
// width and height, and its class index (0-based).
type Box struct {
	X, Y, W, H float64
	Class      int
}

// MinOverlap is the IoU a box shifted by the Gaussian radius keeps with
// the true box (CornerNet's and CenterNet's 0.7).
const MinOverlap = 0.7

// Targets are the dense training targets of one batch, laid out as the
// detector's outputs.
type Targets struct {
	// Positive is 1 at each object's centre cell in its class channel,
	// [B, Classes, S, S].
	Positive []float32
	// NegWeight is (1-Y)^4 elsewhere and 0 at the centres, with Y the
	// Gaussian heatmap: CenterNet's penalty reduction near a centre.
	NegWeight []float32
	// Box holds the box branch's targets at the centres, [B, 4, S, S], and
	// BoxMask is 1 there, [B, 1, S, S].
	Box, BoxMask []float32
	// Objects counts the centres (objects sharing a cell count once).
	Objects int
}

// Encoder turns boxes into Targets for a batch of images.
type Encoder struct {
	Classes, Side, Stride, Batch int
}

// Encoder returns the encoder of m's outputs for a batch size.
func (m Model) Encoder(batch int) Encoder {
	return Encoder{Classes: m.classes, Side: m.OutputSide(), Stride: m.Stride(), Batch: batch}
}

// NewTargets allocates targets for e.
func (e Encoder) NewTargets() *Targets {
	cells := e.Side * e.Side
	return &Targets{
		Positive:  make([]float32, e.Batch*e.Classes*cells),
		NegWeight: make([]float32, e.Batch*e.Classes*cells),
		Box:       make([]float32, e.Batch*BoxChannels*cells),
		BoxMask:   make([]float32, e.Batch*cells),
	}
}

// Encode fills t with the targets of boxes (one list per image; at most
// Batch lists). Each object puts a Gaussian of standard deviation
// (2r+1)/6 on its class channel, r the radius at MinOverlap, centred on
// the cell holding its centre; overlapping Gaussians keep the maximum.
// Where two centres fall in one cell, the smaller box sets the box target.
func (e Encoder) Encode(boxes [][]Box, t *Targets) error {
	if len(boxes) > e.Batch {
		return fmt.Errorf("encode: %d images, batch %d", len(boxes), e.Batch)
	}
	s, cells := e.Side, e.Side*e.Side
	heat := make([]float64, e.Batch*e.Classes*cells)
	clear(t.Positive)
	clear(t.Box)
	clear(t.BoxMask)
	t.Objects = 0
	for b, list := range boxes {
		order := slices.Clone(list)
		slices.SortStableFunc(order, func(p, q Box) int { return cmpFloat(q.W*q.H, p.W*p.H) }) // largest first
		for i, o := range order {
			if o.Class < 0 || o.Class >= e.Classes {
				return fmt.Errorf("encode: image %d box %d: class %d outside 0..%d", b, i, o.Class, e.Classes-1)
			}
			if !(o.W > 0 && o.H > 0) || math.IsInf(o.X, 0) || math.IsInf(o.Y, 0) || math.IsNaN(o.X) || math.IsNaN(o.Y) {
				return fmt.Errorf("encode: image %d box %d: %+v is not a box", b, i, o)
			}
			st := float64(e.Stride)
			cx, cy := (o.X+o.W/2)/st, (o.Y+o.H/2)/st
			ix, iy := int(math.Floor(cx)), int(math.Floor(cy))
			if ix < 0 || iy < 0 || ix >= s || iy >= s {
				return fmt.Errorf("encode: image %d box %d: centre (%.1f, %.1f) outside the image", b, i, cx*st, cy*st)
			}
			w, h := o.W/st, o.H/st
			plane := heat[(b*e.Classes+o.Class)*cells:][:cells]
			drawGaussian(plane, s, ix, iy, gaussianRadius(w, h))
			cell := iy*s + ix
			mask := &t.BoxMask[b*cells+cell]
			if *mask == 0 {
				t.Objects++
			}
			*mask = 1
			t.Positive[(b*e.Classes+o.Class)*cells+cell] = 1
			image := float64(s * e.Stride)
			for c, v := range [BoxChannels]float64{cx - float64(ix), cy - float64(iy), math.Log(o.W / image), math.Log(o.H / image)} {
				t.Box[(b*BoxChannels+c)*cells+cell] = float32(v)
			}
		}
	}
	for i, y := range heat {
		if t.Positive[i] == 1 {
			t.NegWeight[i] = 0
			continue
		}
		t.NegWeight[i] = float32(math.Pow(1-y, 4))
	}
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// gaussianRadius is CenterNet's Gaussian radius (in cells) of a w×h box:
// the smallest of CornerNet's three corner-shift cases (box translated,
// shrunk, grown) at IoU MinOverlap, each taken as CenterNet's code takes
// it, (b + √(b²-4ac))/2 of its quadratic ar² - br + c. Those are not the
// exact IoU-0.7 shifts (for a 5×5 box 1.37 cells against 0.41): we keep
// them because CenterNet's results were obtained with them, and the exact
// radii leave the Gaussian a single cell for objects under 12 cells.
func gaussianRadius(w, h float64) float64 {
	ov, s, p := MinOverlap, w+h, w*h
	root := func(a, b, c float64) float64 { return (b + math.Sqrt(b*b-4*a*c)) / 2 }
	translated := root(1, s, p*(1-ov)/(1+ov))
	shrunk := root(4, 2*s, (1-ov)*p)
	grown := root(4*ov, -2*ov*s, (ov-1)*p)
	return max(0, min(translated, shrunk, grown))
}

// drawGaussian maxes exp(-(dx²+dy²)/(2σ²)), σ = (2⌊r⌋+1)/6, into plane
// (side×side) within ⌊r⌋ cells of (cx, cy).
func drawGaussian(plane []float64, side, cx, cy int, radius float64) {
	r := int(radius)
	sigma := float64(2*r+1) / 6
	for y := max(0, cy-r); y <= min(side-1, cy+r); y++ {
		for x := max(0, cx-r); x <= min(side-1, cx+r); x++ {
			dx, dy := float64(x-cx), float64(y-cy)
			v := math.Exp(-(dx*dx + dy*dy) / (2 * sigma * sigma))
			plane[y*side+x] = max(plane[y*side+x], v)
		}
	}
}
