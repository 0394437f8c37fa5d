package detect

import (
	"fmt"
	"math"
	"strings"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// DefaultWidth is the neck's and head's channel count.
const DefaultWidth = 64

// PriorProbability is the initial foreground probability of every heatmap
// cell (the heatmap bias is -log((1-π)/π), as in RetinaNet and CenterNet).
const PriorProbability = 0.1

// BoxChannels are the box branch's outputs per cell: the centre's offset
// inside its cell (x, y), in cells, and the log of the box's width and
// height as fractions of the image side, which re-tokenization leaves
// unchanged (in cells they would jump at every switch of the output
// stride).
const BoxChannels = 4

// Model is an As-ViT backbone with a neck and a CenterNet head.
type Model struct {
	backbone vit.Model
	classes  int
	width    int
	// kept lists the backbone ParamTable entries the stage maps read.
	kept []int
}

// New returns the detector on backbone (whose classifier is dropped) for
// the given number of object classes; width 0 means DefaultWidth.
func New(backbone vit.Model, classes, width int) (Model, error) {
	if classes < 1 {
		return Model{}, fmt.Errorf("detector: %d classes, want ≥ 1", classes)
	}
	if width == 0 {
		width = DefaultWidth
	}
	if width < 1 {
		return Model{}, fmt.Errorf("detector: width %d, want ≥ 1", width)
	}
	s := backbone.Stages()
	if s[0].Res < 2 {
		return Model{}, fmt.Errorf("detector: stage-1 map of %d×%d is too small", s[0].Res, s[0].Res)
	}
	if img := backbone.Spec().Image; img%s[0].Res != 0 {
		return Model{}, fmt.Errorf("detector: image %d is not a multiple of the stage-1 map side %d", img, s[0].Res)
	}
	m := Model{backbone: backbone, classes: classes, width: width}
	for k, p := range backbone.ParamTable() {
		if !classifierParam(p.Name) {
			m.kept = append(m.kept, k)
		}
	}
	return m, nil
}

// classifierParam reports whether a backbone parameter belongs to the
// classifier (final norm and head), which the stage maps do not read.
func classifierParam(name string) bool {
	return strings.HasPrefix(name, "norm.") || strings.HasPrefix(name, "head.")
}

// Backbone returns the backbone model.
func (m Model) Backbone() vit.Model { return m.backbone }

// Classes returns the number of object classes.
func (m Model) Classes() int { return m.classes }

// Width returns the neck's channel count.
func (m Model) Width() int { return m.width }

// WithBackbone returns m on another geometry of the same backbone (a new
// patch stride and dilation); the parameter table must be unchanged.
func (m Model) WithBackbone(b vit.Model) (Model, error) {
	n, err := New(b, m.classes, m.width)
	if err != nil {
		return Model{}, err
	}
	if !sameTables(m.ParamTable(), n.ParamTable()) {
		return Model{}, fmt.Errorf("detector: the new backbone geometry changes the parameters")
	}
	return n, nil
}

func sameTables(a, b []vit.ParamSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k].Name != b[k].Name || fmt.Sprint(a[k].Shape) != fmt.Sprint(b[k].Shape) {
			return false
		}
	}
	return true
}

// Stride returns the output stride: image pixels per heatmap cell.
func (m Model) Stride() int { return m.backbone.Spec().Image / m.backbone.Stages()[0].Res }

// OutputSide returns the heatmap's side.
func (m Model) OutputSide() int { return m.backbone.Stages()[0].Res }

// ParamTable lists the backbone's parameters without its classifier, then
// the neck's and the head's:
//
//	neck.lateral.{i}.{weight,bias}  1×1 conv, stage i's width → Width
//	neck.smooth.{weight,bias}       3×3 conv on the merged stride-4 map
//	heatmap.{0,2}.{weight,bias}     3×3 conv, GELU, 1×1 conv → Classes
//	box.{0,2}.{weight,bias}         3×3 conv, GELU, 1×1 conv → BoxChannels
//
// Convolutions are drawn as PyTorch's default (uniform ±1/√fan_in) except
// the heatmap's last bias, which starts at the prior -log((1-π)/π).
func (m Model) ParamTable() []vit.ParamSpec {
	full := m.backbone.ParamTable()
	t := make([]vit.ParamSpec, 0, len(m.kept)+16)
	for _, k := range m.kept {
		t = append(t, full[k])
	}
	conv := func(name string, in, out, k int) {
		fan := in * k * k
		t = append(t,
			vit.ParamSpec{Name: name + ".weight", Shape: []int{out, in, k, k}, Init: vit.UniformFanIn, FanIn: fan},
			vit.ParamSpec{Name: name + ".bias", Shape: []int{out}, Init: vit.UniformFanIn, FanIn: fan})
	}
	w := m.width
	for i, s := range m.backbone.Stages() {
		conv(fmt.Sprintf("neck.lateral.%d", i), s.Dim, w, 1)
	}
	conv("neck.smooth", w, w, 3)
	conv("heatmap.0", w, w, 3)
	conv("heatmap.2", w, m.classes, 1)
	prior := &t[len(t)-1]
	prior.Init, prior.FanIn = vit.Constant, 0
	prior.Value = -math.Log((1 - PriorProbability) / PriorProbability)
	conv("box.0", w, w, 3)
	conv("box.2", w, BoxChannels, 1)
	return t
}

// Init draws the initial weights, aligned with ParamTable. The backbone's
// tensors are drawn as the backbone's own Init draws them for the same
// seed, so a detector starts from the classifier's initialisation.
func (m Model) Init(seed uint64) [][]float32 {
	full := m.backbone.Init(seed)
	table := m.ParamTable()
	out := make([][]float32, len(table))
	for i, k := range m.kept {
		out[i] = full[k]
	}
	own := table[len(m.kept):]
	buf := make([][]float32, len(own))
	for k, p := range own {
		buf[k] = make([]float32, p.Size())
	}
	vit.FillParams(seed^0x6465746563740a, own, buf) // "detect"
	copy(out[len(m.kept):], buf)
	return out
}

// Outputs are the detector's dense predictions.
type Outputs struct {
	Heatmap *graphgen.Value // [B, Classes, S, S] logits
	Box     *graphgen.Value // [B, BoxChannels, S, S]
}

// Forward appends the detector applied to x ([B, C, Image, Image]) to g,
// with params aligned with ParamTable.
func (m Model) Forward(g *graphgen.Graph, x *graphgen.Value, params []*graphgen.Value) (Outputs, error) {
	table := m.ParamTable()
	if len(params) != len(table) {
		return Outputs{}, fmt.Errorf("detector forward: got %d parameters, want %d", len(params), len(table))
	}
	full := make([]*graphgen.Value, len(m.backbone.ParamTable()))
	for i, k := range m.kept {
		full[k] = params[i]
	}
	maps, err := m.backbone.Forward(g, x, full, vit.ForwardOptions{Output: vit.StageMaps})
	if err != nil {
		return Outputs{}, err
	}
	byName := map[string]*graphgen.Value{}
	for k, p := range table[len(m.kept):] {
		byName[p.Name] = params[len(m.kept)+k]
	}
	conv := func(x *graphgen.Value, name string) *graphgen.Value {
		w := byName[name+".weight"]
		pad := w.Dim(2) / 2
		return g.Conv(x, w, byName[name+".bias"], graphgen.ConvParams{
			Strides: [2]int{1, 1}, Dilations: [2]int{1, 1}, Pads: [4]int{pad, pad, pad, pad},
		})
	}
	var out Outputs
	err = graphgen.Catch(func() {
		g.Scope("neck", func() {
			p := conv(maps[3], "neck.lateral.3")
			for i := 2; i >= 0; i-- {
				p = g.Add(conv(maps[i], fmt.Sprintf("neck.lateral.%d", i)), upsample(g, p, maps[i].Dim(2)))
			}
			p = g.GELU(conv(p, "neck.smooth"))
			g.Scope("heatmap", func() { out.Heatmap = conv(g.GELU(conv(p, "heatmap.0")), "heatmap.2") })
			g.Scope("box", func() { out.Box = conv(g.GELU(conv(p, "box.0")), "box.2") })
		})
	})
	return out, err
}

// upsample doubles the sides of x [B, C, r, r] by nearest neighbour and
// zero-pads the end to side (2r or 2r+1: each stage halves its side,
// rounding down).
func upsample(g *graphgen.Graph, x *graphgen.Value, side int) *graphgen.Value {
	b, c, r := x.Dim(0), x.Dim(1), x.Dim(2)
	y := g.Reshape(x, b, c, r, 1, r, 1)
	y = g.Reshape(g.Expand(y, b, c, r, 2, r, 2), b, c, 2*r, 2*r)
	if extra := side - 2*r; extra != 0 {
		y = g.Pad(y, 0, 0, 0, 0, 0, 0, extra, extra)
	}
	return y
}

// Graph builds the detector's forward pass on a batch, with input
// ImagesName and outputs HeatmapName and BoxName. weights (aligned with
// ParamTable) become initializers; nil makes the parameters inputs named
// as in ParamTable, before the images (see ForwardInputNames).
func (m Model) Graph(batch int, dt graphgen.DType, weights [][]float32) (*graphgen.Graph, error) {
	table := m.ParamTable()
	if batch < 1 {
		return nil, fmt.Errorf("detector graph: batch %d, want ≥ 1", batch)
	}
	if weights != nil && len(weights) != len(table) {
		return nil, fmt.Errorf("detector graph: got %d weight tensors, want %d", len(weights), len(table))
	}
	g := graphgen.New("asvit_detector")
	g.ParamsAsInputs = weights == nil
	bs := m.backbone.Spec()
	var params []*graphgen.Value
	var x *graphgen.Value
	err := graphgen.Catch(func() {
		for k, p := range table {
			var data any
			if weights != nil {
				if len(weights[k]) != p.Size() {
					panic(&graphgen.BuildError{Op: "Param", Msg: fmt.Sprintf("%s has %d values, want %d", p.Name, len(weights[k]), p.Size())})
				}
				data = weights[k]
				if dt == graphgen.Float64 {
					data = widen(weights[k])
				}
			}
			params = append(params, g.Param(p.Name, dt, p.Shape, data))
		}
		x = g.Input(ImagesName, dt, batch, bs.Channels, bs.Image, bs.Image)
	})
	if err != nil {
		return nil, err
	}
	out, err := m.Forward(g, x, params)
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		g.Output(HeatmapName, out.Heatmap)
		g.Output(BoxName, out.Box)
	})
	return g, err
}

// ForwardInputNames lists the inputs of Graph with nil weights.
func ForwardInputNames(m Model) []string {
	var names []string
	for _, p := range m.ParamTable() {
		names = append(names, p.Name)
	}
	return append(names, ImagesName)
}

func widen(w []float32) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = float64(v)
	}
	return out
}
