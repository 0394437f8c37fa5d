package vit

import (
	"fmt"
	"strings"
)

// Sampling of the embeddings.
const (
	DefaultPatchStride   = 4 // stride of the patch embedding in the authors' code
	DefaultPatchDilation = 1
	ReembedStride        = 2 // stride of every re-embedding
)

// Limits on a Spec beyond its topology; they keep every count inside an int64.
const (
	maxImage   = 4096
	maxClasses = 1 << 24
)

// specFields describes Image, Classes, PatchStride and PatchDilation.
var specFields = [4]field{
	rangeField("image", 1, maxImage),
	rangeField("classes", 1, maxClasses),
	{name: "patch stride", lo: 1, hi: maxImage, allows: fmt.Sprintf("an integer in 1..%d (NewSpec sets %d)", maxImage, DefaultPatchStride)},
	{name: "patch dilation", lo: 1, hi: maxImage, allows: fmt.Sprintf("an integer in 1..%d (NewSpec sets %d)", maxImage, DefaultPatchDilation)},
}

// Spec is a topology with its input and output: an Image×Image picture with
// Channels channels, Classes logits, and the sampling of the patch embedding
// (stride and dilation of its convolution; progressive re-tokenization
// changes them while keeping the weights).
type Spec struct {
	Topology
	Image         int
	Channels      int // 1 or 3
	Classes       int
	PatchStride   int // DefaultPatchStride in the authors' networks
	PatchDilation int // DefaultPatchDilation in the authors' networks
}

// NewSpec returns the spec of t on 3-channel image×image pictures with the
// default patch stride and dilation.
func NewSpec(t Topology, image, classes int) Spec {
	return Spec{Topology: t, Image: image, Channels: 3, Classes: classes,
		PatchStride: DefaultPatchStride, PatchDilation: DefaultPatchDilation}
}

// Embed is the layer that makes a stage's tokens from the previous map: the
// patch convolution for stage 1, an unfold for stages 2..4. It zero-pads
// the InRes×InRes map by PadBegin (top, left) and PadEnd (bottom, right),
// then slides a Kernel×Kernel window with the given Stride and Dilation.
// The unfold's features are ordered c·K² + kh·K + kw, as PyTorch's Unfold.
type Embed struct {
	Kernel, Stride, Dilation int
	PadBegin, PadEnd         int
	InRes, InChannels        int
}

// Span is the number of input pixels one kernel window covers per axis.
func (e Embed) Span() int { return e.Dilation*(e.Kernel-1) + 1 }

// OutRes is the output side: (InRes + PadBegin + PadEnd - Span)/Stride + 1,
// rounded down, or 0 when the padded map is smaller than one window.
func (e Embed) OutRes() int {
	n := e.InRes + e.PadBegin + e.PadEnd - e.Span()
	if n < 0 {
		return 0
	}
	return n/e.Stride + 1
}

// StageGeom is the geometry of one stage of a Spec.
type StageGeom struct {
	Width
	Depth          int
	Embed          Embed // how the stage's tokens are made
	Res            int   // tokens per side
	Tokens         int   // Res²
	Window         int   // attention window side; Res when one window covers the map
	WindowsPerSide int   // Res / Window
}

// WindowTokens returns the number of tokens attending to each other.
func (g StageGeom) WindowTokens() int { return g.Window * g.Window }

// Model is a validated Spec with its stage geometry. Its methods give the
// counts, the parameter table and initial weights; a graph builder reads
// every shape from it.
type Model struct {
	spec   Spec
	stages [NumStages]StageGeom
}

// Spec returns the spec the model was built from.
func (m Model) Spec() Spec { return m.spec }

// Stages returns the geometry of the four stages.
func (m Model) Stages() [NumStages]StageGeom { return m.stages }

// New validates s and lays out its stages.
//
// Resolutions follow the authors' code. The patch embedding pads by
// (g//2, (g+1)//2) per axis, with g = span - stride and span =
// dilation·(K1-1)+1; at stride 4 and dilation 1 that is ((K1-4)//2,
// (K1-3)//2), and the stage-1 resolution is Image/stride rounded down.
// When the span is shorter than the stride (K1 = 4 at stride 8, dilation 2,
// in the paper's re-tokenization schedule) g is taken as 0 rather than
// cropping, as TensorFlow's SAME padding does; the resolution is then
// (Image - span)/stride + 1, still Image/stride whenever the stride divides
// Image. A re-embedding with kernel K pads by ((K-2)//2, (K-1)//2)
// and has stride 2, so it halves the resolution, rounding down. Every stage
// needs a resolution of at least 1. (The authors' PyTorch model also
// asserts an even resolution before each re-embedding; odd ones are
// allowed here, because a stride-16 patch embedding at 224 px gives 14, 7,
// 3, 1.)
//
// Windows: stage i attends within windows of side w = res // S_i. When
// w = 0 or res ≤ w one window covers the map (the authors' code asserts on
// w = 0 instead). Otherwise the windows must tile the map exactly, res % w
// = 0: the authors' window partition reshapes without padding and fails on
// any other size.
func New(s Spec) (Model, error) {
	if err := s.Topology.Validate(); err != nil {
		return Model{}, err
	}
	for i, v := range []int{s.Image, s.Classes, s.PatchStride, s.PatchDilation} {
		if err := specFields[i].check(v); err != nil {
			return Model{}, err
		}
	}
	if s.Channels != 1 && s.Channels != 3 {
		return Model{}, fmt.Errorf("channels: got %d, want 1 or 3", s.Channels)
	}
	m := Model{spec: s}
	widths := s.Widths()
	prevRes, prevDim := s.Image, s.Channels
	for i, st := range s.Stages {
		e := Embed{Kernel: st.Kernel, Stride: ReembedStride, Dilation: 1,
			PadBegin: (st.Kernel - 2) / 2, PadEnd: (st.Kernel - 1) / 2,
			InRes: prevRes, InChannels: prevDim}
		if i == 0 {
			e.Stride, e.Dilation = s.PatchStride, s.PatchDilation
			gap := max(0, e.Span()-e.Stride)
			e.PadBegin, e.PadEnd = gap/2, (gap+1)/2
		}
		g := StageGeom{Width: widths[i], Depth: st.Depth, Embed: e, Res: e.OutRes()}
		if g.Res < 1 {
			return Model{}, fmt.Errorf("image %d px: stage %d would have resolution 0%s; want a larger image",
				s.Image, i+1, earlier(m.stages[:i]))
		}
		g.Tokens = g.Res * g.Res
		g.Window = g.Res / st.Split
		if g.Window <= 0 || g.Res <= g.Window {
			g.Window = g.Res
		} else if g.Res%g.Window != 0 {
			return Model{}, fmt.Errorf("image %d px: stage %d has resolution %d, and split S%d = %d gives windows of %d that do not tile it (%d %% %d = %d); want a split or image whose window divides the resolution",
				s.Image, i+1, g.Res, i+1, st.Split, g.Window, g.Res, g.Window, g.Res%g.Window)
		}
		g.WindowsPerSide = g.Res / g.Window
		m.stages[i] = g
		prevRes, prevDim = g.Res, g.Dim
	}
	return m, nil
}

// earlier lists the resolutions of the stages before a failing one.
func earlier(stages []StageGeom) string {
	if len(stages) == 0 {
		return ""
	}
	parts := make([]string, len(stages))
	for i, g := range stages {
		parts[i] = fmt.Sprint(g.Res)
	}
	return " (earlier stages: " + strings.Join(parts, ", ") + ")"
}
