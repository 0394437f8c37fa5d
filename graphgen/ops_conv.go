package graphgen

import "fmt"

// ConvParams are the geometry of a 2-D convolution.
type ConvParams struct {
	Strides   [2]int
	Dilations [2]int
	Pads      [4]int // top, left, bottom, right (ONNX order: begins then ends)
	Group     int    // channel groups; 0 means 1
}

func (p ConvParams) normalized() ConvParams {
	for i := range 2 {
		if p.Strides[i] == 0 {
			p.Strides[i] = 1
		}
		if p.Dilations[i] == 0 {
			p.Dilations[i] = 1
		}
	}
	if p.Group == 0 {
		p.Group = 1
	}
	return p
}

// attrs gives the ONNX attributes; group only when it is not the default 1.
func (p ConvParams) attrs() map[string]any {
	a := map[string]any{
		"strides":   ints64(p.Strides[:]),
		"dilations": ints64(p.Dilations[:]),
		"pads":      ints64(p.Pads[:]),
	}
	if p.Group != 1 {
		a["group"] = int64(p.Group)
	}
	return a
}

// checkGeometry fails op unless p is a valid geometry whose group divides
// both channel counts.
func (p ConvParams) checkGeometry(op string, in, out int) {
	for i := range 2 {
		if p.Strides[i] < 1 || p.Dilations[i] < 1 || p.Pads[i] < 0 || p.Pads[i+2] < 0 {
			fail(op, "bad geometry %+v", p)
		}
	}
	if p.Group < 1 || in%p.Group != 0 || out%p.Group != 0 {
		fail(op, "group %d must divide the %d input and %d output channels", p.Group, in, out)
	}
}

// ConvOutSize is the output extent of a convolution along one axis.
func ConvOutSize(in, kernel, stride, dilation, padBegin, padEnd int) int {
	return (in+padBegin+padEnd-dilation*(kernel-1)-1)/stride + 1
}

// Conv returns the 2-D convolution (NCHW, OIHW) of x with w plus the
// optional bias b of shape [O]. With p.Group = G, w is O×(C/G)×kh×kw and
// output channel o reads the input channels of group o/(O/G).
func (g *Graph) Conv(x, w, b *Value, p ConvParams) *Value {
	const op = "Conv"
	p = p.normalized()
	dt := sameDType(op, x, w)
	if x.Rank() != 4 || w.Rank() != 4 {
		fail(op, "input %s and weight %s must have rank 4", x, w)
	}
	p.checkGeometry(op, x.Dim(1), w.Dim(0))
	if x.Dim(1) != w.Dim(1)*p.Group {
		fail(op, "input channels %d differ from group %d × weight's %d (%s, %s)", x.Dim(1), p.Group, w.Dim(1), x, w)
	}
	inputs := []*Value{x, w}
	if b != nil {
		sameDType(op, x, b)
		if b.Rank() != 1 || b.Dim(0) != w.Dim(0) {
			fail(op, "bias %s must have shape [%d]", b, w.Dim(0))
		}
		inputs = append(inputs, b)
	}
	shape := []int{x.Dim(0), w.Dim(0), 0, 0}
	for i := range 2 {
		shape[2+i] = ConvOutSize(x.Dim(2+i), w.Dim(2+i), p.Strides[i], p.Dilations[i], p.Pads[i], p.Pads[i+2])
		if shape[2+i] < 1 {
			fail(op, "input %s with weight %s and %+v gives an empty output", x, w, p)
		}
	}
	attrs := p.attrs()
	attrs["kernel_shape"] = ints64(w.shape[2:])
	return g.op1(op, inputs, attrs, dt, shape)
}

// ConvTranspose returns the transposed convolution of x (N×C×H×W) with w
// (C×(O/G)×kh×kw for p.Group = G) at the given geometry, with outputShape
// fixing the spatial output size (it resolves the ambiguity of strided
// convolutions).
func (g *Graph) ConvTranspose(x, w *Value, p ConvParams, outputShape [2]int) *Value {
	const op = "ConvTranspose"
	p = p.normalized()
	dt := sameDType(op, x, w)
	if x.Rank() != 4 || w.Rank() != 4 || x.Dim(1) != w.Dim(0) {
		fail(op, "input %s and weight %s must be N×C×H×W and C×(O/group)×kh×kw", x, w)
	}
	p.checkGeometry(op, x.Dim(1), w.Dim(1)*p.Group)
	for i := range 2 {
		// The input extent this output would give under Conv must match x.
		if got := ConvOutSize(outputShape[i], w.Dim(2+i), p.Strides[i], p.Dilations[i], p.Pads[i], p.Pads[i+2]); got != x.Dim(2+i) {
			fail(op, "output size %v is inconsistent with input %s: a convolution of it gives %d", outputShape, x, got)
		}
	}
	attrs := p.attrs()
	attrs["kernel_shape"] = ints64(w.shape[2:])
	// output_shape makes ONNX compute the pads; give them explicitly instead
	// through output_padding, which ORT supports on every provider.
	var outPad [2]int
	for i := range 2 {
		full := p.Strides[i]*(x.Dim(2+i)-1) + p.Dilations[i]*(w.Dim(2+i)-1) + 1 - p.Pads[i] - p.Pads[i+2]
		outPad[i] = outputShape[i] - full
		if outPad[i] < 0 || outPad[i] >= max(p.Strides[i], p.Dilations[i]) {
			fail(op, "%s", fmt.Sprintf("output size %v unreachable from input %s", outputShape, x))
		}
	}
	attrs["output_padding"] = ints64(outPad[:])
	return g.op1(op, []*Value{x, w}, attrs, dt, []int{x.Dim(0), w.Dim(1) * p.Group, outputShape[0], outputShape[1]})
}

// MaxPool returns the 2-D max pooling (NCHW) of x with a kh×kw kernel at
// the geometry p (strides, dilations, pads; Group must be 0 or 1). Padded
// cells never win: they count as -∞. ONNX Runtime requires each pad to be
// smaller than the kernel along its axis.
func (g *Graph) MaxPool(x *Value, kernel [2]int, p ConvParams) *Value {
	const op = "MaxPool"
	p = p.normalized()
	needFloat(op, x)
	if x.Rank() != 4 {
		fail(op, "input %s must have rank 4 (N×C×H×W)", x)
	}
	if p.Group != 1 {
		fail(op, "group %d; pooling has none", p.Group)
	}
	p.checkGeometry(op, 1, 1)
	shape := []int{x.Dim(0), x.Dim(1), 0, 0}
	for i := range 2 {
		if kernel[i] < 1 || p.Pads[i] >= kernel[i] || p.Pads[i+2] >= kernel[i] {
			fail(op, "kernel %v with pads %v: want kernel ≥ 1 and each pad below its kernel side", kernel, p.Pads)
		}
		shape[2+i] = ConvOutSize(x.Dim(2+i), kernel[i], p.Strides[i], p.Dilations[i], p.Pads[i], p.Pads[i+2])
		if shape[2+i] < 1 {
			fail(op, "input %s with kernel %v and %+v gives an empty output", x, kernel, p)
		}
	}
	attrs := p.attrs()
	attrs["kernel_shape"] = ints64(kernel[:])
	return g.op1(op, []*Value{x}, attrs, x.dtype, shape)
}
