package vit

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/graphgen"
)

// Output selects what a built graph returns.
type Output int

const (
	// Logits are the classifier's outputs, [B, Classes].
	Logits Output = iota
	// Features are the mean over the last stage's tokens before the final
	// norm, [B, nf]: what both complexity measures read.
	Features
	// StageMaps are the four stages' outputs as [B, d_i, res_i, res_i] maps
	// (strides 4, 8, 16, 32 at the default patch stride), for detection.
	StageMaps
)

// LayerNormEps is the epsilon of every LayerNorm, PyTorch's default.
const LayerNormEps = 1e-5

// ForwardOptions tune Forward.
type ForwardOptions struct {
	Output Output
	// NoNorms replaces every LayerNorm by the identity (length distortion).
	NoNorms bool
}

// DeclareParams adds the model's parameters to g in ParamTable order.
// weights (aligned with ParamTable, converted to dt) become initializers;
// with nil weights g.ParamsAsInputs must be set and they become inputs.
func (m Model) DeclareParams(g *graphgen.Graph, dt graphgen.DType, weights [][]float32) ([]*graphgen.Value, error) {
	table := m.ParamTable()
	if weights != nil && len(weights) != len(table) {
		return nil, fmt.Errorf("declare params: got %d weight tensors, want %d", len(weights), len(table))
	}
	if weights == nil && !g.ParamsAsInputs {
		return nil, fmt.Errorf("declare params: no weights given and the graph keeps parameters as initializers")
	}
	params := make([]*graphgen.Value, len(table))
	err := graphgen.Catch(func() {
		for k, p := range table {
			var data any
			if weights != nil {
				if len(weights[k]) != p.Size() {
					panic(&graphgen.BuildError{Op: "Param", Msg: fmt.Sprintf("%s has %d values, want %d", p.Name, len(weights[k]), p.Size())})
				}
				data = convert(weights[k], dt)
			}
			params[k] = g.Param(p.Name, dt, p.Shape, data)
		}
	})
	return params, err
}

func convert(w []float32, dt graphgen.DType) any {
	if dt == graphgen.Float32 {
		return w
	}
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = float64(v)
	}
	return out
}

// Forward appends the network applied to x ([B, Channels, Image, Image]) to
// g, reading the parameters from params (aligned with ParamTable). It
// returns one value, or four for StageMaps.
func (m Model) Forward(g *graphgen.Graph, x *graphgen.Value, params []*graphgen.Value, opts ForwardOptions) (outs []*graphgen.Value, err error) {
	s := m.spec
	if want := []int{x.Dim(0), s.Channels, s.Image, s.Image}; x.Rank() != 4 || x.Dim(1) != want[1] || x.Dim(2) != want[2] || x.Dim(3) != want[3] {
		return nil, fmt.Errorf("forward: input %v, want [B %d %d %d]", x.Shape(), s.Channels, s.Image, s.Image)
	}
	if len(params) != len(m.ParamTable()) {
		return nil, fmt.Errorf("forward: got %d parameters, want %d", len(params), len(m.ParamTable()))
	}
	f := &forward{g: g, m: m, opts: opts, byName: map[string]*graphgen.Value{}}
	for k, p := range m.ParamTable() {
		f.byName[p.Name] = params[k]
	}
	err = graphgen.Catch(func() { outs = f.run(x) })
	return outs, err
}

type forward struct {
	g      *graphgen.Graph
	m      Model
	opts   ForwardOptions
	byName map[string]*graphgen.Value
}

func (f *forward) p(name string) *graphgen.Value {
	v, ok := f.byName[name]
	if !ok {
		panic(&graphgen.BuildError{Op: "vit", Msg: "no parameter " + name})
	}
	return v
}

func (f *forward) run(x *graphgen.Value) []*graphgen.Value {
	g, st := f.g, f.m.stages
	var tokens *graphgen.Value
	var maps []*graphgen.Value
	g.Scope("patch_embed", func() { tokens = f.patchEmbed(x) })
	for i := range NumStages {
		for j := range st[i].Depth {
			g.Scope(fmt.Sprintf("layers.%d.blocks.%d", i, j), func() {
				tokens = f.block(tokens, st[i], fmt.Sprintf("layers.%d.blocks.%d.", i, j))
			})
		}
		if f.opts.Output == StageMaps {
			maps = append(maps, f.toMap(tokens, st[i]))
		}
		if i+1 < NumStages {
			g.Scope(fmt.Sprintf("layers.%d.downsample", i), func() {
				tokens = f.reembed(tokens, st[i], st[i+1], fmt.Sprintf("layers.%d.downsample.", i))
			})
		}
	}
	switch f.opts.Output {
	case StageMaps:
		return maps
	case Features:
		return []*graphgen.Value{g.ReduceMean(tokens, false, 1)}
	}
	var logits *graphgen.Value
	g.Scope("head", func() {
		pooled := g.ReduceMean(f.norm(tokens, "norm"), false, 1)
		h := g.Tanh(f.linear(pooled, "head.0"))
		logits = f.linear(h, "head.2")
	})
	return []*graphgen.Value{logits}
}

// patchEmbed: conv with the stage-1 geometry, tokens [B, res², C], LayerNorm.
func (f *forward) patchEmbed(x *graphgen.Value) *graphgen.Value {
	g, e := f.g, f.m.stages[0].Embed
	y := g.Conv(x, f.p("patch_embed.proj.weight"), f.p("patch_embed.proj.bias"), graphgen.ConvParams{
		Strides:   [2]int{e.Stride, e.Stride},
		Dilations: [2]int{e.Dilation, e.Dilation},
		Pads:      [4]int{e.PadBegin, e.PadBegin, e.PadEnd, e.PadEnd},
	})
	return f.norm(f.toTokens(y), "patch_embed.norm")
}

// toTokens turns a [B, C, r, r] map into [B, r², C] tokens.
func (f *forward) toTokens(y *graphgen.Value) *graphgen.Value {
	g := f.g
	b, c, r := y.Dim(0), y.Dim(1), y.Dim(2)
	return g.Transpose(g.Reshape(y, b, c, r*r), 0, 2, 1)
}

// toMap turns [B, r², C] tokens into a [B, C, r, r] map.
func (f *forward) toMap(t *graphgen.Value, s StageGeom) *graphgen.Value {
	g := f.g
	return g.Reshape(g.Transpose(t, 0, 2, 1), t.Dim(0), s.Dim, s.Res, s.Res)
}

func (f *forward) norm(x *graphgen.Value, name string) *graphgen.Value {
	if f.opts.NoNorms {
		return x
	}
	return f.g.LayerNorm(x, f.p(name+".weight"), f.p(name+".bias"), LayerNormEps)
}

// linear applies the PyTorch-layout Linear `name` (weight out×in, optional
// bias) to the last axis of x as a Gemm on the flattened rows.
func (f *forward) linear(x *graphgen.Value, name string) *graphgen.Value {
	g := f.g
	w := f.p(name + ".weight")
	var b *graphgen.Value
	if v, ok := f.byName[name+".bias"]; ok {
		b = v
	}
	shape := x.Shape()
	rows := x.Size() / x.Dim(-1)
	x2 := x
	if x.Rank() != 2 {
		x2 = g.Reshape(x, rows, x.Dim(-1))
	}
	y := g.Gemm(x2, w, b, false, true, 1, 1)
	if x.Rank() == 2 {
		return y
	}
	shape[len(shape)-1] = w.Dim(0)
	return g.Reshape(y, shape...)
}

// block is one transformer block: x + Attn(LN(x)), then x + FFN(LN(x)).
func (f *forward) block(x *graphgen.Value, s StageGeom, prefix string) *graphgen.Value {
	g := f.g
	var a, m *graphgen.Value
	g.Scope("attn", func() { a = f.windowAttention(f.norm(x, prefix+"norm1"), s, prefix+"attn.") })
	x = g.Add(x, a)
	g.Scope("mlp", func() {
		h := f.linear(f.norm(x, prefix+"mlps.0.0"), prefix+"mlps.0.1.fc1")
		m = f.linear(g.GELU(h), prefix+"mlps.0.1.fc2")
	})
	return g.Add(x, m)
}

// windowAttention runs multi-head self-attention inside non-overlapping
// windows of side s.Window on x [B, res², d].
func (f *forward) windowAttention(x *graphgen.Value, s StageGeom, prefix string) *graphgen.Value {
	g := f.g
	b, d, n, w := x.Dim(0), s.Dim, s.WindowsPerSide, s.Window
	if n > 1 { // [B, n·w, n·w, d] → [B·n², w², d], window-major within each sample
		x = g.Reshape(x, b, n, w, n, w, d)
		x = g.Reshape(g.Transpose(x, 0, 1, 3, 2, 4, 5), b*n*n, w*w, d)
	}
	bw, t := x.Dim(0), x.Dim(1)
	qkv := g.Reshape(f.linear(x, prefix+"qkv"), bw, t, 3, s.Heads, s.HeadDim)
	head := func(k int) *graphgen.Value { // [Bw, heads, t, head_dim]
		part := g.Slice(qkv, []int{2}, []int{k}, []int{k + 1}, []int{1})
		return g.Transpose(g.Reshape(part, bw, t, s.Heads, s.HeadDim), 0, 2, 1, 3)
	}
	q := g.Scale(head(0), 1/math.Sqrt(float64(s.HeadDim)))
	k, v := head(1), head(2)
	attn := g.Softmax(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), -1)
	o := g.Reshape(g.Transpose(g.MatMul(attn, v), 0, 2, 1, 3), bw, t, s.Inner)
	o = f.linear(o, prefix+"proj")
	if n > 1 {
		o = g.Reshape(o, b, n, n, w, w, d)
		o = g.Reshape(g.Transpose(o, 0, 1, 3, 2, 4, 5), b, n*n*w*w, d)
	}
	return o
}

// reembed unfolds the [B, res², d] tokens of stage `from` with the kernel
// and padding of stage `to`'s Embed (stride 2, channel order c·K² + kh·K +
// kw), then applies LayerNorm(K²·d) and the bias-free reduction. The unfold
// runs every channel as its own one-channel image through one Conv whose
// constant one-hot weight [K², 1, K, K] sends offset (kh, kw) to output
// kh·K + kw (faster in ONNX Runtime than a grouped Conv over the d
// channels, and its constant is d times smaller).
func (f *forward) reembed(x *graphgen.Value, from, to StageGeom, prefix string) *graphgen.Value {
	g, e := f.g, to.Embed
	b, d, kk, r := x.Dim(0), from.Dim, e.Kernel*e.Kernel, from.Res
	oneHot := make([]float32, kk*kk)
	for o := range kk {
		oneHot[o*kk+o] = 1
	}
	w := g.Const(x.DType(), []int{kk, 1, e.Kernel, e.Kernel}, convert(oneHot, x.DType()))
	planes := g.Reshape(g.Transpose(x, 0, 2, 1), b*d, 1, r, r) // every channel its own image
	patches := g.Conv(planes, w, nil, graphgen.ConvParams{
		Strides:   [2]int{e.Stride, e.Stride},
		Dilations: [2]int{e.Dilation, e.Dilation},
		Pads:      [4]int{e.PadBegin, e.PadBegin, e.PadEnd, e.PadEnd},
	})
	tokens := g.Transpose(g.Reshape(patches, b, d*kk, to.Res*to.Res), 0, 2, 1)
	return f.linear(f.norm(tokens, prefix+"norm"), prefix+"reduction")
}
