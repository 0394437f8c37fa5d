package detect

import (
	"fmt"
	"slices"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// Exported runs a detector that Model.Export wrote with ONNX Runtime alone:
// the network, the decoding and NMS are in the model, and Exported feeds
// it images and reads its slots back as detections. It needs neither the
// run directory nor the weights' description, only the model's metadata.
// It is not safe for concurrent use; Destroy releases it.
type Exported struct {
	meta    export.Meta
	session *ort.Session
}

// OpenExported loads the exported detector model, whose metadata is meta
// (export.Decode of its metadata_props), after checking that meta
// describes a detector (Output export.Detections) and that the model
// declares the input and outputs meta implies.
func OpenExported(model []byte, meta export.Meta, opts ort.Options) (*Exported, error) {
	if meta.Output != export.Detections {
		return nil, fmt.Errorf("the model outputs %s, not detections: it is no detector", meta.Output)
	}
	inputs, outputs, err := ort.ModelInfo(model)
	if err != nil {
		return nil, err
	}
	k := int64(meta.Detection.TopK)
	wantIn := []ort.ValueInfo{{Name: vit.InputName, Type: ort.Float32, Shape: []int64{-1, int64(meta.Channels), int64(meta.Image), int64(meta.Image)}}}
	wantOut := []ort.ValueInfo{
		{Name: BoxesName, Type: ort.Float32, Shape: []int64{-1, k, 4}},
		{Name: ScoresName, Type: ort.Float32, Shape: []int64{-1, k}},
		{Name: ClassesName, Type: ort.Int64, Shape: []int64{-1, k}},
	}
	same := func(a, b ort.ValueInfo) bool {
		return a.Name == b.Name && a.Type == b.Type && slices.Equal(a.Shape, b.Shape)
	}
	if !slices.EqualFunc(inputs, wantIn, same) || !slices.EqualFunc(outputs, wantOut, same) {
		return nil, fmt.Errorf("the model declares inputs %v and outputs %v, but its metadata implies %v and %v; export it again", inputs, outputs, wantIn, wantOut)
	}
	s, err := ort.NewSession(model, []string{vit.InputName}, []string{BoxesName, ScoresName, ClassesName}, opts)
	if err != nil {
		return nil, fmt.Errorf("detector session: %w", err)
	}
	return &Exported{meta: meta, session: s}, nil
}

// Meta returns the model's metadata: its input size, channels and
// normalisation, class names and how it selects its boxes.
func (e *Exported) Meta() export.Meta { return e.meta }

// Detect returns the detections of the n normalised images in x
// (n×Channels×Image×Image, normalised with the metadata's Mean and Std),
// the full slots of the model's outputs: best first, in input pixels.
func (e *Exported) Detect(x []float32, n int) ([][]Detection, error) {
	if e.session == nil {
		return nil, fmt.Errorf("the detector is destroyed")
	}
	c, side := int64(e.meta.Channels), int64(e.meta.Image)
	if n < 1 || int64(len(x)) != int64(n)*c*side*side {
		return nil, fmt.Errorf("detect: got %d values for %d images of %d×%d×%d", len(x), n, c, side, side)
	}
	t, err := ort.NewFloat32([]int64{int64(n), c, side, side}, x)
	if err != nil {
		return nil, err
	}
	defer t.Destroy()
	outs, err := e.session.Run([]*ort.Tensor{t})
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	defer ort.DestroyAll(outs)
	k := e.meta.Detection.TopK
	boxes, scores, classes := outs[0].Float32s(), outs[1].Float32s(), outs[2].Int64s()
	if len(boxes) != n*k*4 || len(scores) != n*k || len(classes) != n*k {
		return nil, fmt.Errorf("detector: got %d boxes, %d scores and %d classes for %d images of %d slots", len(boxes)/4, len(scores), len(classes), n, k)
	}
	out := make([][]Detection, n)
	for i := range n {
		dets := []Detection{}
		for j := i * k; j < (i+1)*k; j++ {
			class := classes[j]
			if class < 0 {
				continue // an empty slot
			}
			if class >= int64(e.meta.Classes) {
				return nil, fmt.Errorf("detector: image %d, slot %d holds class %d of %d", i, j-i*k, class, e.meta.Classes)
			}
			b := boxes[4*j : 4*j+4]
			dets = append(dets, Detection{
				Box:   Box{X: float64(b[0]), Y: float64(b[1]), W: float64(b[2]), H: float64(b[3]), Class: int(class)},
				Score: float64(scores[j]),
			})
		}
		out[i] = dets
	}
	return out, nil
}

// Destroy releases the session; safe when repeated.
func (e *Exported) Destroy() {
	if e == nil {
		return
	}
	e.session.Destroy()
	*e = Exported{}
}
