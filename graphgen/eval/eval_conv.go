package eval

import (
	"fmt"
	"math"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// convGeom is the 2-D geometry of a Conv or ConvTranspose node.
type convGeom struct {
	strides, dilations, pads []int // pads: top, left, bottom, right
	kernel                   []int // kh, kw from the weight
	group                    int
}

// readConvGeom reads the geometry attributes of n for the rank-4 input x and
// weight w, accepting explicit pads only and a group that divides x's
// channels.
func readConvGeom(n *graphgen.Node, x, w *tensor) (convGeom, error) {
	var g convGeom
	if len(x.shape) != 4 || len(w.shape) != 4 {
		return g, fmt.Errorf("input %v and weight %v must have rank 4 (2-D only)", x.shape, w.shape)
	}
	var err error
	if g.group, err = intAttr(n, "group", 1); err != nil {
		return g, err
	}
	if g.group < 1 || x.shape[1]%g.group != 0 {
		return g, fmt.Errorf("group %d must be ≥ 1 and divide the input channels %d", g.group, x.shape[1])
	}
	autoPad, err := stringAttr(n, "auto_pad", "NOTSET")
	if err != nil {
		return g, err
	}
	if autoPad != "NOTSET" {
		return g, fmt.Errorf("auto_pad %s is unsupported (explicit pads only)", autoPad)
	}
	g.kernel = w.shape[2:]
	ks, err := intsAttr(n, "kernel_shape", g.kernel)
	if err != nil {
		return g, err
	}
	if !slices.Equal(ks, g.kernel) {
		return g, fmt.Errorf("kernel_shape %v differs from the weight %v", ks, w.shape)
	}
	if g.strides, err = intsAttr(n, "strides", []int{1, 1}); err != nil {
		return g, err
	}
	if g.dilations, err = intsAttr(n, "dilations", []int{1, 1}); err != nil {
		return g, err
	}
	if g.pads, err = intsAttr(n, "pads", []int{0, 0, 0, 0}); err != nil {
		return g, err
	}
	if len(g.strides) != 2 || len(g.dilations) != 2 || len(g.pads) != 4 {
		return g, fmt.Errorf("strides %v, dilations %v, pads %v need 2, 2 and 4 entries", g.strides, g.dilations, g.pads)
	}
	for i := range 2 {
		if g.strides[i] < 1 || g.dilations[i] < 1 || g.pads[i] < 0 || g.pads[i+2] < 0 {
			return g, fmt.Errorf("strides %v and dilations %v must be ≥ 1, pads %v ≥ 0", g.strides, g.dilations, g.pads)
		}
	}
	return g, nil
}

// bias returns the optional bias operand at index i, checked to have shape [m].
func bias(in []*tensor, i, m int) ([]float64, error) {
	b := optional(in, i)
	if b == nil {
		return make([]float64, m), nil
	}
	if len(b.shape) != 1 || b.shape[0] != m {
		return nil, fmt.Errorf("bias %v must have shape [%d]", b.shape, m)
	}
	return b.data, nil
}

// conv is the 2-D cross-correlation
// y[n,o,i,j] = B[o] + Σ_{c,p,q} x[n,g·C/G+c, i·s0−pt+p·d0, j·s1−pl+q·d1]·W[o,c,p,q],
// with g = o/(M/G) the group of o and x zero outside its extent (NCHW
// input, OIHW weight).
func conv(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 1); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	g, err := readConvGeom(n, x, w)
	if err != nil {
		return nil, err
	}
	nb, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	m, kh, kw := w.shape[0], g.kernel[0], g.kernel[1]
	cg := c / g.group // input channels per group
	if w.shape[1] != cg || m%g.group != 0 {
		return nil, fmt.Errorf("input channels %d and group %d do not fit the weight %v", c, g.group, w.shape)
	}
	b, err := bias(in, 2, m)
	if err != nil {
		return nil, err
	}
	oh := (h+g.pads[0]+g.pads[2]-g.dilations[0]*(kh-1)-1)/g.strides[0] + 1
	ow := (wd+g.pads[1]+g.pads[3]-g.dilations[1]*(kw-1)-1)/g.strides[1] + 1
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("input %v with kernel %v gives an empty output", x.shape, g.kernel)
	}
	out := make([]float64, nb*m*oh*ow)
	for ni := range nb {
		for o := range m {
			c0 := o / (m / g.group) * cg
			for i := range oh {
				for j := range ow {
					s := b[o]
					for ci := range cg {
						for p := range kh {
							r := i*g.strides[0] - g.pads[0] + p*g.dilations[0]
							if r < 0 || r >= h {
								continue
							}
							for q := range kw {
								col := j*g.strides[1] - g.pads[1] + q*g.dilations[1]
								if col < 0 || col >= wd {
									continue
								}
								s += x.data[((ni*c+c0+ci)*h+r)*wd+col] * w.data[((o*cg+ci)*kh+p)*kw+q]
							}
						}
					}
					out[((ni*m+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return &tensor{shape: []int{nb, m, oh, ow}, data: out}, nil
}

// convTranspose scatters every input element through the kernel:
// y[n,g·M/G+o, i·s0−pt+p·d0, j·s1−pl+q·d1] += x[n,c,i,j]·W[c,o,p,q], with
// g = c/(C/G) the group of c, plus B, on an output of extent
// s·(in−1) + output_padding + d·(k−1) + 1 − pads (NCHW input,
// C×(M/G)×kh×kw weight).
func convTranspose(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 1); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	g, err := readConvGeom(n, x, w)
	if err != nil {
		return nil, err
	}
	if _, ok := n.Attrs["output_shape"]; ok {
		return nil, fmt.Errorf("attribute output_shape is unsupported; give output_padding and pads")
	}
	outPad, err := intsAttr(n, "output_padding", []int{0, 0})
	if err != nil {
		return nil, err
	}
	if len(outPad) != 2 || outPad[0] < 0 || outPad[1] < 0 {
		return nil, fmt.Errorf("output_padding %v needs 2 entries ≥ 0", outPad)
	}
	nb, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	mg, kh, kw := w.shape[1], g.kernel[0], g.kernel[1] // output channels per group
	m := mg * g.group
	if w.shape[0] != c {
		return nil, fmt.Errorf("input channels %d differ from the weight %v", c, w.shape)
	}
	b, err := bias(in, 2, m)
	if err != nil {
		return nil, err
	}
	oh := g.strides[0]*(h-1) + outPad[0] + g.dilations[0]*(kh-1) + 1 - g.pads[0] - g.pads[2]
	ow := g.strides[1]*(wd-1) + outPad[1] + g.dilations[1]*(kw-1) + 1 - g.pads[1] - g.pads[3]
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("input %v with kernel %v gives an empty output", x.shape, g.kernel)
	}
	out := make([]float64, nb*m*oh*ow)
	for ni := range nb {
		for o := range m {
			for k := range oh * ow {
				out[(ni*m+o)*oh*ow+k] = b[o]
			}
		}
		for ci := range c {
			for i := range h {
				for j := range wd {
					xv := x.data[((ni*c+ci)*h+i)*wd+j]
					o0 := ci / (c / g.group) * mg
					for o := range mg {
						for p := range kh {
							r := i*g.strides[0] - g.pads[0] + p*g.dilations[0]
							if r < 0 || r >= oh {
								continue
							}
							for q := range kw {
								col := j*g.strides[1] - g.pads[1] + q*g.dilations[1]
								if col < 0 || col >= ow {
									continue
								}
								out[((ni*m+o0+o)*oh+r)*ow+col] += xv * w.data[((ci*mg+o)*kh+p)*kw+q]
							}
						}
					}
				}
			}
		}
	}
	return &tensor{shape: []int{nb, m, oh, ow}, data: out}, nil
}

// maxPool is y[n,c,i,j] = max_{p,q} x[n,c, i·s0−pt+p·d0, j·s1−pl+q·d1] over
// the kernel_shape window cells inside x (padding never wins; a window
// entirely in the padding gives -∞), NCHW, ceil_mode and storage_order 0.
func maxPool(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 1, 0); err != nil {
		return nil, err
	}
	x := in[0]
	ks, err := requiredInts(n, "kernel_shape")
	if err != nil {
		return nil, err
	}
	if len(ks) != 2 || ks[0] < 1 || ks[1] < 1 {
		return nil, fmt.Errorf("kernel_shape %v: want 2 sides ≥ 1 (2-D only)", ks)
	}
	for _, key := range []string{"ceil_mode", "storage_order"} {
		if v, err := intAttr(n, key, 0); err != nil || v != 0 {
			return nil, fmt.Errorf("attribute %s = %d is unsupported (0 only) %v", key, v, err)
		}
	}
	// The kernel stands in the place of a convolution weight's sides.
	g, err := readConvGeom(n, x, &tensor{shape: []int{1, 1, ks[0], ks[1]}})
	if err != nil {
		return nil, err
	}
	if g.group != 1 {
		return nil, fmt.Errorf("group %d; pooling has none", g.group)
	}
	nb, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh := (h+g.pads[0]+g.pads[2]-g.dilations[0]*(ks[0]-1)-1)/g.strides[0] + 1
	ow := (wd+g.pads[1]+g.pads[3]-g.dilations[1]*(ks[1]-1)-1)/g.strides[1] + 1
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("input %v with kernel %v gives an empty output", x.shape, ks)
	}
	out := make([]float64, nb*c*oh*ow)
	for plane := range nb * c {
		src := x.data[plane*h*wd:][:h*wd]
		for i := range oh {
			for j := range ow {
				m := math.Inf(-1)
				for p := range ks[0] {
					r := i*g.strides[0] - g.pads[0] + p*g.dilations[0]
					if r < 0 || r >= h {
						continue
					}
					for q := range ks[1] {
						col := j*g.strides[1] - g.pads[1] + q*g.dilations[1]
						if col >= 0 && col < wd {
							m = math.Max(m, src[r*wd+col])
						}
					}
				}
				out[(plane*oh+i)*ow+j] = m
			}
		}
	}
	return &tensor{shape: []int{nb, c, oh, ow}, data: out}, nil
}
