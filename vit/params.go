package vit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// InitKind says how a parameter is drawn at initialisation.
type InitKind int

const (
	// TruncNormal is a normal with std TruncNormalStd, redrawn outside
	// ±TruncNormalCut (absolute, as timm's trunc_normal_): the Linear weights.
	TruncNormal InitKind = iota
	// Zeros: Linear and LayerNorm biases.
	Zeros
	// Ones: LayerNorm weights.
	Ones
	// UniformFanIn is uniform in ±1/sqrt(FanIn), PyTorch's default for a
	// convolution's weight and bias: the patch embedding.
	UniformFanIn
	// Constant fills the tensor with ParamSpec.Value: a detector's class
	// prior bias.
	Constant
)

// Parameters of TruncNormal.
const (
	TruncNormalStd = 0.02
	TruncNormalCut = 2.0
)

func (k InitKind) String() string {
	switch k {
	case TruncNormal:
		return "trunc_normal"
	case Zeros:
		return "zeros"
	case Ones:
		return "ones"
	case UniformFanIn:
		return "uniform_fan_in"
	case Constant:
		return "constant"
	}
	return fmt.Sprintf("InitKind(%d)", int(k))
}

// ParamSpec describes one parameter tensor.
type ParamSpec struct {
	Name  string // the authors' state_dict key
	Shape []int  // PyTorch layout: Linear out×in, Conv2d out×in×K×K
	Init  InitKind
	FanIn int     // the bound of UniformFanIn is 1/sqrt(FanIn); 0 for other kinds
	Value float64 // the value of Constant
	// NTK marks the parameters the NTK condition number differentiates:
	// names ending in "weight", except the final norm and the head, which
	// the features do not reach.
	NTK bool
}

// Size returns the number of elements.
func (p ParamSpec) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// ParamTable lists the parameters in the authors' state_dict order:
//
//	patch_embed.proj.{weight,bias}, patch_embed.norm.{weight,bias}
//	layers.{i}.blocks.{j}.norm1, .attn.qkv, .attn.proj, .mlps.0.0 (the FFN's
//	  norm), .mlps.0.1.fc1, .mlps.0.1.fc2, each {weight,bias}
//	layers.{i}.downsample.reduction.weight, layers.{i}.downsample.norm.{weight,bias}
//	  for i = 0..2; the downsample of layer i is the Embed of stage i+1
//	norm.{weight,bias}, head.0.{weight,bias}, head.2.{weight,bias}
//
// The shapes add up to m.Params().
func (m Model) ParamTable() []ParamSpec {
	var t table
	p := m.stages[0].Embed
	c := m.stages[0].Dim
	fanIn := p.InChannels * p.Kernel * p.Kernel
	t.add("patch_embed.proj.weight", UniformFanIn, fanIn, c, p.InChannels, p.Kernel, p.Kernel)
	t.add("patch_embed.proj.bias", UniformFanIn, fanIn, c)
	t.norm("patch_embed.norm", c)
	for i, g := range m.stages {
		for j := range g.Depth {
			b := fmt.Sprintf("layers.%d.blocks.%d.", i, j)
			t.norm(b+"norm1", g.Dim)
			t.linear(b+"attn.qkv", g.Dim, 3*g.Inner, true)
			t.linear(b+"attn.proj", g.Inner, g.Dim, true)
			t.norm(b+"mlps.0.0", g.Dim)
			t.linear(b+"mlps.0.1.fc1", g.Dim, g.FFNHidden, true)
			t.linear(b+"mlps.0.1.fc2", g.FFNHidden, g.Dim, true)
		}
		if i+1 < NumStages {
			next := m.stages[i+1]
			in := next.Embed.InChannels * next.Embed.Kernel * next.Embed.Kernel
			d := fmt.Sprintf("layers.%d.downsample.", i)
			t.linear(d+"reduction", in, next.Dim, false)
			t.norm(d+"norm", in)
		}
	}
	nf := m.spec.Features()
	t.norm("norm", nf)
	t.linear("head.0", nf, nf, true)
	t.linear("head.2", nf, m.spec.Classes, true)
	for k := range t {
		n := t[k].Name
		t[k].NTK = strings.HasSuffix(n, "weight") && !strings.HasPrefix(n, "norm.") && !strings.HasPrefix(n, "head.")
	}
	return t
}

type table []ParamSpec

func (t *table) add(name string, k InitKind, fanIn int, shape ...int) {
	*t = append(*t, ParamSpec{Name: name, Shape: shape, Init: k, FanIn: fanIn})
}

func (t *table) linear(name string, in, out int, bias bool) {
	t.add(name+".weight", TruncNormal, 0, out, in)
	if bias {
		t.add(name+".bias", Zeros, 0, out)
	}
}

func (t *table) norm(name string, dim int) {
	t.add(name+".weight", Ones, 0, dim)
	t.add(name+".bias", Zeros, 0, dim)
}

// Init allocates and draws the initial weights, aligned with ParamTable.
// See InitInto.
func (m Model) Init(seed uint64) [][]float32 {
	table := m.ParamTable()
	out := make([][]float32, len(table))
	for k, p := range table {
		out[k] = make([]float32, p.Size())
	}
	FillParams(seed, table, out)
	return out
}

// InitInto draws the initial weights into dst, which must be aligned with
// ParamTable and sized like it. Parameter k is drawn from its own PCG
// stream, seeded from (seed, k), so its values depend on nothing else; the
// parameters are drawn in parallel.
func (m Model) InitInto(seed uint64, dst [][]float32) error {
	table := m.ParamTable()
	if len(dst) != len(table) {
		return fmt.Errorf("init: got %d buffers, want %d (one per ParamTable entry)", len(dst), len(table))
	}
	for k, p := range table {
		if len(dst[k]) != p.Size() {
			return fmt.Errorf("init: buffer %d (%s) has %d values, want %d", k, p.Name, len(dst[k]), p.Size())
		}
	}
	FillParams(seed, table, dst)
	return nil
}

// FillParams draws every parameter of table into dst (aligned and sized
// like it), largest first, on GOMAXPROCS workers. Parameter k is drawn
// from its own PCG stream seeded from (seed, k).
func FillParams(seed uint64, table []ParamSpec, dst [][]float32) {
	order := make([]int, len(table))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(dst[b]) - len(dst[a]) })
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(order); i = int(next.Add(1)) - 1 {
				k := order[i]
				draw(table[k], paramRNG(seed, k), dst[k])
			}
		})
	}
	wg.Wait()
}

// paramRNG returns the stream of parameter k, its two PCG words mixed by
// SplitMix64 so that neighbouring seeds and indices give unrelated states.
func paramRNG(seed uint64, k int) *rand.Rand {
	hi := splitMix(seed)
	return rand.New(rand.NewPCG(hi, splitMix(hi^splitMix(uint64(k)))))
}

func splitMix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func draw(p ParamSpec, r *rand.Rand, dst []float32) {
	switch p.Init {
	case Zeros:
		clear(dst)
	case Ones:
		for i := range dst {
			dst[i] = 1
		}
	case TruncNormal:
		for i := range dst {
			v := r.NormFloat64() * TruncNormalStd
			for math.Abs(v) > TruncNormalCut {
				v = r.NormFloat64() * TruncNormalStd
			}
			dst[i] = float32(v)
		}
	case UniformFanIn:
		b := 1 / math.Sqrt(float64(p.FanIn))
		for i := range dst {
			dst[i] = float32((2*r.Float64() - 1) * b)
		}
	case Constant:
		for i := range dst {
			dst[i] = float32(p.Value)
		}
	}
}
