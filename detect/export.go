package detect

import (
	"fmt"
	"math"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// Names of the exported detector's outputs; its input is vit.InputName,
// float32 [N, Channels, Image, Image], normalised as its metadata says.
const (
	BoxesName   = "boxes"
	ScoresName  = "scores"
	ClassesName = "classes"
)

// Defaults of ExportOptions.
const (
	// DefaultExportTopK is K, the box slots per image, unless the heatmap
	// has fewer cells.
	DefaultExportTopK = 100
	// DefaultIoUThreshold is the NMS threshold: a box overlapping a better
	// box of its class with an IoU above it is dropped. CenterNet's peak
	// test already keeps one box per object in most cases; NMS removes the
	// rest, as services expect of a detector.
	DefaultIoUThreshold = 0.5
)

// ExportOptions say how an exported detector selects its boxes.
type ExportOptions struct {
	// TopK is K, the number of box slots per image; 0 means
	// DefaultExportTopK or the heatmap's Classes×Side² cells if fewer.
	// The K best peaks are taken before NMS, so NMS empties slots rather
	// than refilling them.
	TopK int
	// MinScore is the least score of a box kept, in [0, 1].
	MinScore float64
	// IoUThreshold is the per-class NMS threshold in (0, 1]; 0 means
	// DefaultIoUThreshold, and 1 leaves NMS out (no IoU exceeds 1).
	IoUThreshold float64
}

// resolve fills in the defaults and checks o against m.
func (o ExportOptions) resolve(m Model) (ExportOptions, error) {
	cells := m.classes * m.OutputSide() * m.OutputSide()
	if o.TopK == 0 {
		o.TopK = min(DefaultExportTopK, cells)
	}
	if o.IoUThreshold == 0 {
		o.IoUThreshold = DefaultIoUThreshold
	}
	switch {
	case o.TopK < 1 || o.TopK > cells:
		return o, fmt.Errorf("detector export: top-k %d, want 1..%d (classes × heatmap cells)", o.TopK, cells)
	case !(o.MinScore >= 0 && o.MinScore <= 1):
		return o, fmt.Errorf("detector export: minimum score %g, want a number in [0, 1]", o.MinScore)
	case !(o.IoUThreshold > 0 && o.IoUThreshold <= 1):
		return o, fmt.Errorf("detector export: IoU threshold %g, want a number in (0, 1]", o.IoUThreshold)
	}
	return o, nil
}

// ExportDecoder returns the Go decoder (Decoder with NMS) whose detections
// the model of ExportGraph with the same options returns, best first, in
// the slots of each image, the slots past them empty.
func (m Model) ExportDecoder(opts ExportOptions) (Decoder, error) {
	o, err := opts.resolve(m)
	if err != nil {
		return Decoder{}, err
	}
	d := m.Decoder(o.TopK, o.MinScore)
	if o.IoUThreshold < 1 {
		d.IoUThreshold = o.IoUThreshold
	}
	return d, nil
}

// ExportGraph builds the detector for downstream services: the network on
// an image batch (input vit.InputName, float32 [N, C, Image, Image], any
// N) with weights (aligned with ParamTable) as initializers, then the
// decoding of Decoder and per-class NMS, giving K = opts.TopK slots per
// image:
//
//	boxes   float32 [N, K, 4]  x, y, width, height in input pixels (COCO)
//	scores  float32 [N, K]     best first; 0 in an empty slot
//	classes int64 [N, K]       class index; -1 in an empty slot
//
// (box 0 in an empty slot). The slots hold what ExportDecoder's
// Decoder.Decode returns for the network's outputs: fixed sizes keep the
// outputs static and easy to read.
//
// The graph follows Decoder step by step. A cell is a peak when its logit
// equals the 3×3 max-pool of its class plane. TopK takes the K best peaks
// of classes × cells by logit, equal ones in class, row, column order as
// Decoder's stable sort. Ranking by logit avoids float32 sigmoid's rounding
// of scores to 1 above logits of about 17; Decoder ranks by the float64
// score, which orders distinct float32 logits alike below about 20 (above,
// close logits may round to one score and keep the stable order instead). Peaks scoring at least MinScore
// are valid. Box values are gathered at each peak's cell, decoded to a
// centre (x+offset)·stride and size exp(log size)·image side and clipped to
// the image. ONNX NonMaxSuppression then runs per class on the K boxes,
// scored by rank (K − slot for a valid box of that class, 0 otherwise,
// below the strict score threshold 0), so that it visits them in the
// slots' order, ties included; its selection becomes a keep mask through
// GatherND and ScatterND, and a last TopK on the kept ranks moves the kept
// slots to the front, in order.
func (m Model) ExportGraph(weights [][]float32, opts ExportOptions) (*graphgen.Graph, error) {
	o, err := opts.resolve(m)
	if err != nil {
		return nil, err
	}
	table := m.ParamTable()
	if len(weights) != len(table) {
		return nil, fmt.Errorf("detector export: got %d weight tensors, want %d", len(weights), len(table))
	}
	g := graphgen.New("asvit_detector")
	g.DynamicBatch = true
	bs := m.backbone.Spec()
	var params []*graphgen.Value
	var x *graphgen.Value
	err = graphgen.Catch(func() {
		for k, p := range table {
			if len(weights[k]) != p.Size() {
				panic(&graphgen.BuildError{Op: "Param", Msg: fmt.Sprintf("%s has %d values, want %d", p.Name, len(weights[k]), p.Size())})
			}
			params = append(params, g.Param(p.Name, graphgen.Float32, p.Shape, weights[k]))
		}
		// Batch 1 here; DynamicBatch lets the model take any.
		x = g.Input(vit.InputName, graphgen.Float32, 1, bs.Channels, bs.Image, bs.Image)
	})
	if err != nil {
		return nil, err
	}
	out, err := m.Forward(g, x, params)
	if err != nil {
		return nil, err
	}
	err = graphgen.Catch(func() {
		var boxes, scores, classes *graphgen.Value
		g.Scope("decode", func() { boxes, scores, classes = m.decodeGraph(g, out, o) })
		g.Output(BoxesName, boxes)
		g.Output(ScoresName, scores)
		g.Output(ClassesName, classes)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// decodeGraph appends ExportGraph's decoding to g.
func (m Model) decodeGraph(g *graphgen.Graph, out Outputs, o ExportOptions) (boxes, scores, classes *graphgen.Value) {
	const f32, i64 = graphgen.Float32, graphgen.Int64
	c, s, k := m.classes, m.OutputSide(), o.TopK
	cells := s * s
	zero := g.Scalar(f32, 0)
	negInf := g.Scalar(f32, math.Inf(-1))
	// Every reshape keeps the batch in dimension 0 (DynamicBatch).
	rows := func(v *graphgen.Value) *graphgen.Value { return g.Reshape(v, 1, k) }
	col := func(v *graphgen.Value) *graphgen.Value { return g.Unsqueeze(v, 2) } // [N, K] → [N, K, 1]

	// The K best peaks: [N, K] logits and their indices in classes × cells.
	heat := out.Heatmap
	peak := g.Equal(heat, g.MaxPool(heat, [2]int{3, 3}, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}}))
	logit, idx := g.TopK(g.Reshape(g.Where(peak, heat, negInf), 1, c*cells), k, 1, true)
	score := g.Sigmoid(logit)
	valid := g.And(g.Greater(logit, negInf), g.GreaterOrEqual(score, g.Scalar(f32, o.MinScore)))
	class := g.Div(idx, g.Scalar(i64, float64(cells)))
	cell := g.Sub(idx, g.Mul(class, g.Scalar(i64, float64(cells))))
	cy := g.Div(cell, g.Scalar(i64, float64(s)))
	cx := g.Sub(cell, g.Mul(cy, g.Scalar(i64, float64(s))))

	// The box branch at those cells: [N, 4, K].
	at := g.GatherElements(g.Reshape(out.Box, 1, BoxChannels, cells), g.Expand(g.Unsqueeze(cell, 1), 1, BoxChannels, k), 2)
	channel := func(i int) *graphgen.Value { return rows(g.Slice(at, []int{1}, []int{i}, []int{i + 1}, []int{1})) }
	stride := float64(m.Stride())
	image := g.Scalar(f32, float64(m.backbone.Spec().Image))
	clip := func(v *graphgen.Value) *graphgen.Value { return g.Min(g.Max(v, zero), image) }
	centreX := g.Scale(g.Add(g.Cast(cx, f32), channel(0)), stride)
	centreY := g.Scale(g.Add(g.Cast(cy, f32), channel(1)), stride)
	side := float64(m.backbone.Spec().Image)
	halfW := g.Scale(g.Exp(channel(2)), side/2)
	halfH := g.Scale(g.Exp(channel(3)), side/2)
	x0, x1 := clip(g.Sub(centreX, halfW)), clip(g.Add(centreX, halfW))
	y0, y1 := clip(g.Sub(centreY, halfH)), clip(g.Add(centreY, halfH))

	// Each valid slot's rank key K − slot, 0 for the others.
	ranks := make([]float32, k)
	for i := range ranks {
		ranks[i] = float32(k - i)
	}
	key := g.Where(valid, g.Const(f32, []int{1, k}, ranks), zero)
	kept := key
	if o.IoUThreshold < 1 {
		classIDs := make([]int64, c)
		for i := range classIDs {
			classIDs[i] = int64(i)
		}
		ofClass := g.Equal(g.Unsqueeze(class, 1), g.Const(i64, []int{1, c, 1}, classIDs)) // [N, C, K]
		nmsScores := g.Where(ofClass, g.Unsqueeze(key, 1), zero)
		corners := g.Concat(2, col(y0), col(x0), col(y1), col(x1))
		selected := g.NonMaxSuppression(corners, nmsScores, k, o.IoUThreshold, 0)
		// A slot has one class, so (image, slot) names a selection once.
		slots := g.Slice(selected, []int{1}, []int{0}, []int{3}, []int{2})
		kept = g.ScatterND(g.Scale(key, 0), slots, g.GatherND(key, slots))
	}

	// The kept slots to the front, in order; empty slots zeroed.
	keptKey, order := g.TopK(kept, k, 1, true)
	full := g.Greater(keptKey, zero)
	scores = g.Where(full, g.GatherElements(score, order, 1), zero)
	classes = g.Where(full, g.GatherElements(class, order, 1), g.Scalar(i64, -1))
	xywh := g.Concat(2, col(x0), col(y0), col(g.Sub(x1, x0)), col(g.Sub(y1, y0)))
	boxes = g.Where(col(full), g.GatherElements(xywh, g.Expand(col(order), 1, k, 4), 1), zero)
	return boxes, scores, classes
}

// Export writes the detector of ExportGraph with weights (aligned with
// ParamTable) as ONNX model bytes, with meta as its metadata (see package
// export): meta gives the normalisation (Mean and Std, one per channel),
// optionally the class names and where the weights come from; Export fills
// in the network (the backbone's topology, image, channels and patch
// geometry, the detector's classes), the output (export.Detections) and
// the options (top-k, score and IoU thresholds), and returns meta as
// written.
func (m Model) Export(weights [][]float32, opts ExportOptions, meta export.Meta) ([]byte, export.Meta, error) {
	o, err := opts.resolve(m)
	if err != nil {
		return nil, meta, err
	}
	spec := m.backbone.Spec()
	meta.Network = export.Network{Arch: spec.Topology.String(), Image: spec.Image, Channels: spec.Channels, Classes: m.classes}
	meta.PatchStride, meta.PatchDilation = spec.PatchStride, spec.PatchDilation
	meta.Output = export.Detections
	meta.Detection = export.Detection{TopK: o.TopK, ScoreThreshold: o.MinScore, IoUThreshold: o.IoUThreshold}
	if len(meta.Mean) != spec.Channels || len(meta.Std) != spec.Channels {
		return nil, meta, fmt.Errorf("detector export: %d mean and %d std values for %d channels; give one per channel", len(meta.Mean), len(meta.Std), spec.Channels)
	}
	if meta.ClassNames != nil && len(meta.ClassNames) != m.classes {
		return nil, meta, fmt.Errorf("detector export: %d class names for %d classes", len(meta.ClassNames), m.classes)
	}
	g, err := m.ExportGraph(weights, o)
	if err != nil {
		return nil, meta, fmt.Errorf("detector export: %w", err)
	}
	b, err := export.Graph(g, meta)
	if err != nil {
		return nil, meta, err
	}
	return b, meta, nil
}
