package data

// pipeline turns one stored image into its float32 model input: bilinear
// resize to size×size, channel conversion, crop and flip, normalisation.
type pipeline struct {
	src        *Split
	size, ch   int       // output side and channels
	scale      []float32 // per output channel: x = v·scale + bias for a raw value v in [0,255]
	bias       []float32
	rows, cols []tap // bilinear taps from size to the native height and width; nil for the native size
}

// view is where an image's crop window sits in its padded copy, and whether
// it is mirrored. The zero view is the plain image.
type view struct {
	pad, oy, ox int // padding and window offsets in [0, 2·pad]
	flip        bool
}

// scratch is per-goroutine working memory for pipeline.image.
type scratch struct {
	rows [3][]float32 // one resized source row per source channel
	tmp  []float32    // one native row
}

func newPipeline(src *Split, size, ch int, mean, std []float32) pipeline {
	p := pipeline{src: src, size: size, ch: ch}
	for c := range ch {
		m, s := mean[min(c, len(mean)-1)], std[min(c, len(std)-1)]
		// (v/255 − m)/s = v·(1/(255·s)) − m/s
		p.scale = append(p.scale, 1/(255*s))
		p.bias = append(p.bias, -m/s)
	}
	if src.H != size || src.W != size {
		p.rows, p.cols = bilinearTaps(src.H, size), bilinearTaps(src.W, size)
	}
	return p
}

func (p *pipeline) newScratch() *scratch {
	sc := &scratch{tmp: make([]float32, p.src.W)}
	for k := range sc.rows {
		sc.rows[k] = make([]float32, p.size)
	}
	return sc
}

// image writes image i, seen through v, into dst (ch×size×size values).
// Padding is black before normalisation, as when padding precedes Normalize.
func (p *pipeline) image(dst []float32, i int, v view, sc *scratch) {
	S, plane := p.size, p.src.H*p.src.W
	img := p.src.Image(i)
	for y := range S {
		ry := y + v.oy - v.pad
		if ry < 0 || ry >= S {
			for c := range p.ch {
				fill(dst[(c*S+y)*S:][:S], p.bias[c])
			}
			continue
		}
		// Raw rows at model resolution: one per source channel, or their mean.
		for k := range p.src.C {
			p.row(sc.rows[k], sc.tmp, img[k*plane:(k+1)*plane], ry)
		}
		if p.src.C == 3 && p.ch == 1 {
			r, g, b := sc.rows[0], sc.rows[1], sc.rows[2]
			for x := range r {
				r[x] = (r[x] + g[x] + b[x]) * (1.0 / 3)
			}
		}
		for c := range p.ch {
			k := c
			if p.src.C != p.ch {
				k = 0 // gray replicated, or the RGB mean computed above
			}
			place(dst[(c*S+y)*S:][:S], sc.rows[k], v, p.scale[c], p.bias[c])
		}
	}
}

// row writes row ry of the channel plane, at model resolution, into out.
func (p *pipeline) row(out, tmp []float32, plane []uint8, ry int) {
	if p.rows == nil {
		for x, v := range plane[ry*p.size : (ry+1)*p.size] {
			out[x] = float32(v)
		}
		return
	}
	interpRow(out, tmp, plane, p.src.W, p.rows[ry], p.cols)
}

// place writes one output row from raw row r: column x shows r[x+ox−pad]
// (mirrored: r[S−1−x+ox−pad]), normalised, and bias (black) where that falls
// outside r.
func place(d, r []float32, v view, scale, bias float32) {
	S := len(d)
	shift := v.ox - v.pad
	// Columns whose source lies inside r: [lo, hi).
	lo, hi := max(0, -shift), min(S, S-shift)
	if v.flip {
		lo, hi = max(0, shift), min(S, S+shift)
	}
	if lo >= hi {
		fill(d, bias)
		return
	}
	fill(d[:lo], bias)
	fill(d[hi:], bias)
	out := d[lo:hi]
	if !v.flip {
		src := r[lo+shift : hi+shift]
		for j := range out {
			out[j] = src[j]*scale + bias
		}
		return
	}
	src := r[S-hi+shift : S-lo+shift] // src[k] shows at x = hi−1−k
	for k := range src {
		out[len(out)-1-k] = src[k]*scale + bias
	}
}

func fill(d []float32, v float32) {
	for i := range d {
		d[i] = v
	}
}
