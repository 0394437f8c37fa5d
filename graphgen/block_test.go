package graphgen_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// blockDims sizes the transformer-like test block.
type blockDims struct {
	res, stride, kernel int // input R×R, patch-embedding stride and kernel
	dim, heads, window  int // token width, attention heads, window side
	hidden, out         int // FFN width, head outputs
}

var (
	blockSmall = blockDims{res: 8, stride: 2, kernel: 3, dim: 8, heads: 2, window: 2, hidden: 16, out: 5}
	blockBench = blockDims{res: 32, stride: 4, kernel: 7, dim: 32, heads: 4, window: 4, hidden: 96, out: 10}
)

// block is a transformer-like block on a batch of images: a padded, strided
// Conv patch embedding, a position term (subtracted, and added back after the
// FFN, so that one parameter has two uses of opposite sign), LayerNorm, window attention (heads
// split with Slice, batched MatMul, Softmax), an exact-GELU FFN, residuals
// scaled by one shared layer-scale vector, a re-embedding that unfolds 3×3
// patches with stride 2 through Pad, strided Slices and Concat, and a MatMul
// head. features is the token mean of the head ([B,out]); y sums it per
// sample ([B]). Parameters are graph inputs, fed from feeds. forward builds
// the block once more, on other images, with the same parameters.
type block struct {
	g           *graphgen.Graph
	x           *graphgen.Value
	params      []*graphgen.Value
	features, y *graphgen.Value
	feeds       map[*graphgen.Value][]float64
	forward     func(x *graphgen.Value) (features *graphgen.Value)
}

func newBlock(dt graphgen.DType, d blockDims, batch int, seed uint64) *block {
	g := graphgen.New(fmt.Sprintf("block%d", batch))
	g.ParamsAsInputs = true
	rng := rand.New(rand.NewPCG(seed, 3))
	b := &block{g: g, feeds: map[*graphgen.Value][]float64{}}
	fill := func(v *graphgen.Value, centre, spread float64) {
		data := make([]float64, v.Size())
		for i := range data {
			data[i] = centre + spread*rng.NormFloat64()
		}
		b.feeds[v] = data
	}
	byName := map[string]*graphgen.Value{}
	param := func(name string, centre, spread float64, shape ...int) *graphgen.Value {
		if p := byName[name]; p != nil {
			return p
		}
		p := g.Param(name, dt, shape, nil)
		fill(p, centre, spread)
		b.params = append(b.params, p)
		byName[name] = p
		return p
	}
	linear := func(name string, x *graphgen.Value, out int, bias bool) *graphgen.Value {
		w := param(name+".weight", 0, 1/math.Sqrt(float64(x.Dim(1))), out, x.Dim(1))
		var c *graphgen.Value
		if bias {
			c = param(name+".bias", 0, 0.1, out)
		}
		return g.Gemm(x, w, c, false, true, 1, 1)
	}
	norm := func(name string, x *graphgen.Value) *graphgen.Value {
		return g.LayerNorm(x, param(name+".weight", 1, 0.1, x.Dim(-1)), param(name+".bias", 0, 0.1, x.Dim(-1)), 1e-5)
	}

	b.forward = func(images *graphgen.Value) *graphgen.Value { return blockForward(g, d, images, param, linear, norm) }
	b.x = g.Input("x", dt, batch, 3, d.res, d.res)
	fill(b.x, 0, 1)
	b.features = b.forward(b.x)
	b.y = g.ReduceSum(b.features, false, 1)
	return b
}

func blockForward(g *graphgen.Graph, d blockDims, images *graphgen.Value,
	param func(name string, centre, spread float64, shape ...int) *graphgen.Value,
	linear func(name string, x *graphgen.Value, out int, bias bool) *graphgen.Value,
	norm func(name string, x *graphgen.Value) *graphgen.Value) *graphgen.Value {
	batch := images.Dim(0)
	pad := (d.kernel - d.stride) / 2
	conv := g.Conv(images, param("embed.weight", 0, 0.3, d.dim, 3, d.kernel, d.kernel), param("embed.bias", 0, 0.1, d.dim),
		graphgen.ConvParams{Strides: [2]int{d.stride, d.stride}, Pads: [4]int{pad, pad, pad + 1, pad + 1}})
	side := conv.Dim(2)
	tokens := side * side
	x := g.Transpose(g.Reshape(conv, batch, d.dim, tokens), 0, 2, 1)
	pos := param("pos", 0, 0.1, tokens, d.dim)
	x = g.Sub(x, pos)
	scale := param("layer_scale", 1, 0.1, d.dim)

	// Window attention: [B,T,d] → [B·nW, w², d], sample-major.
	nw, w := side/d.window, d.window
	toWindows := func(v *graphgen.Value) *graphgen.Value {
		v = g.Transpose(g.Reshape(v, batch, nw, w, nw, w, d.dim), 0, 1, 3, 2, 4, 5)
		return g.Reshape(v, batch*nw*nw, w*w, d.dim)
	}
	fromWindows := func(v *graphgen.Value) *graphgen.Value {
		v = g.Transpose(g.Reshape(v, batch, nw, nw, w, w, d.dim), 0, 1, 3, 2, 4, 5)
		return g.Reshape(v, batch, tokens, d.dim)
	}
	headDim := d.dim / d.heads
	win := toWindows(norm("norm1", x))
	qkv := g.Reshape(linear("attn.qkv", g.Reshape(win, -1, d.dim), 3*d.dim, true), batch*nw*nw, w*w, 3, d.heads, headDim)
	part := func(i int) *graphgen.Value { // [B·nW, heads, w², headDim]
		s := g.Squeeze(g.Slice(qkv, []int{2}, []int{i}, []int{i + 1}, []int{1}), 2)
		return g.Transpose(s, 0, 2, 1, 3)
	}
	q, k, v := part(0), part(1), part(2)
	k = g.Transpose(k, 0, 1, 3, 2)
	attn := g.Softmax(g.Scale(g.MatMul(q, k), 1/math.Sqrt(float64(headDim))), -1)
	ctx := g.Reshape(g.Transpose(g.MatMul(attn, v), 0, 2, 1, 3), -1, d.dim)
	proj := g.Reshape(linear("attn.proj", ctx, d.dim, true), batch*nw*nw, w*w, d.dim)
	x = g.Add(x, g.Mul(fromWindows(proj), scale))

	hid := g.GELU(linear("mlp.fc1", g.Reshape(norm("norm2", x), -1, d.dim), d.hidden, true))
	x = g.Add(x, g.Mul(g.Reshape(linear("mlp.fc2", hid, d.dim, true), batch, tokens, d.dim), scale))
	x = g.Add(x, pos)

	// Re-embedding: unfold 3×3 patches with stride 2, channel order c·9 + kh·3 + kw.
	grid := g.Pad(g.Reshape(g.Transpose(x, 0, 2, 1), batch, d.dim, side, side), 0, 0, 0, 0, 0, 0, 1, 1)
	half := (side-1)/2 + 1
	var taps []*graphgen.Value
	for i := range 3 {
		for j := range 3 {
			tap := g.Slice(grid, []int{2, 3}, []int{i, j}, []int{i + 2*(half-1) + 1, j + 2*(half-1) + 1}, []int{2, 2})
			taps = append(taps, g.Unsqueeze(tap, 2))
		}
	}
	unfolded := g.Transpose(g.Reshape(g.Concat(2, taps...), batch, 9*d.dim, half*half), 0, 2, 1)
	reduced := linear("reduction", g.Reshape(norm("reduction.norm", unfolded), -1, 9*d.dim), 2*d.dim, false)

	head := param("head.weight", 0, 0.3, 2*d.dim, d.out)
	out := g.Tanh(g.MatMul(g.Reshape(reduced, batch, half*half, 2*d.dim), head))
	return g.ReduceMean(out, false, 1)
}

// asFixture wraps the block's float64 graph for checkDerivatives, with the
// input and every parameter differentiated.
func (b *block) asFixture(seed uint64) *fixture {
	return &fixture{Graph: b.g, rng: rand.New(rand.NewPCG(seed, 9)), xs: append([]*graphgen.Value{b.x}, b.params...), feeds: b.feeds}
}

// TestBlockDerivatives checks the reverse and forward sweeps of the whole
// block, with respect to the input and all parameters, against central
// differences along random directions and against each other.
func TestBlockDerivatives(t *testing.T) {
	for seed := range uint64(2) {
		b := newBlock(graphgen.Float64, blockSmall, 2, 20+seed)
		checkDerivatives(t, b.asFixture(seed), b.features, false)
	}
}

// TestBlockInputJVP checks the forward sweep with respect to the input alone
// (the length-distortion use) against central differences.
func TestBlockInputJVP(t *testing.T) {
	b := newBlock(graphgen.Float64, blockSmall, 3, 30)
	f := b.asFixture(1)
	f.xs = []*graphgen.Value{b.x}
	checkDerivatives(t, f, b.features, false)
}

// TestBlockORT runs the block's features with their JVP and VJP (with
// respect to the input and all parameters) in float32 through ONNX Runtime
// and compares them with the float64 evaluation of the same graph on the
// same float32-rounded numbers. Float32 rounding along the block's ~100-op
// chains and its sums of up to a few hundred terms of O(1) values stays
// within 1e-5 of max(1, |value|) (5e-7 is seen).
func TestBlockORT(t *testing.T) {
	b := newBlock(graphgen.Float32, blockSmall, 2, 50)
	f := b.asFixture(2)
	d := f.derive(t, b.features)
	f.checkORT(t, append([]*graphgen.Value{b.features, d.jvp}, d.grads...), 1e-5)
}
