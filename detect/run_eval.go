package detect

import (
	"fmt"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/ort"
)

// Evaluation follows the COCO convention: up to EvalTopK detections per
// image, none below EvalMinScore.
const (
	EvalTopK     = 100
	EvalMinScore = 0.001
)

// forwardFunc runs a detector on a full batch of normalised images and
// writes its heatmap logits and box outputs.
type forwardFunc func(images, heatmap, box []float32) error

// predictSet runs forward over set in order, batch images at a time, and
// returns the detections of every image, in the set's order, as Decoder
// dec finds them.
func predictSet(set *detdata.Set, mean, std float32, batch int, m Model, dec Decoder, forward forwardFunc) ([][]Detection, error) {
	l, err := detdata.NewLoader(set, detdata.LoaderOptions{Batch: batch, Mean: mean, Std: std})
	if err != nil {
		return nil, err
	}
	out := make([][]Detection, 0, set.N)
	var b *detdata.Batch
	for step := range l.Len() {
		if b, err = l.Batch(0, step, b); err != nil {
			return nil, err
		}
		dets, err := detectImages(b.X, b.N, batch, m, dec, forward)
		if err != nil {
			return nil, err
		}
		out = append(out, dets...)
	}
	return out, nil
}

// detectImages returns the detections of the n normalised images in x,
// batch at a time, the last batch padded with zeros.
func detectImages(x []float32, n, batch int, m Model, dec Decoder, forward forwardFunc) ([][]Detection, error) {
	bs := m.Backbone().Spec()
	per := bs.Channels * bs.Image * bs.Image
	if len(x) != n*per {
		return nil, fmt.Errorf("detect: got %d values for %d images of %d×%d×%d", len(x), n, bs.Channels, bs.Image, bs.Image)
	}
	side := m.OutputSide()
	images := make([]float32, batch*per)
	heat := make([]float32, batch*m.Classes()*side*side)
	box := make([]float32, batch*BoxChannels*side*side)
	out := make([][]Detection, 0, n)
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		copy(images, x[start*per:(start+k)*per])
		clear(images[k*per:])
		if err := forward(images, heat, box); err != nil {
			return nil, err
		}
		dets, err := dec.Decode(heat, box, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, dets[:k]...)
	}
	return out, nil
}

// cocoDetections converts the detections of each image of set into COCO
// results: image ids from the set, category ids by class index.
func cocoDetections(set *detdata.Set, dets [][]Detection) []coco.Detection {
	var out []coco.Detection
	for i, list := range dets {
		id := set.COCO.Images[i].ID
		for _, d := range list {
			out = append(out, coco.Detection{
				ImageID: id, CategoryID: set.CategoryIDs[d.Class],
				BBox: coco.Box{X: d.X, Y: d.Y, W: d.W, H: d.H}, Score: d.Score,
			})
		}
	}
	return out
}

// Predictor runs a trained detector's forward pass. It is not safe for
// concurrent use; Destroy releases it.
type Predictor struct {
	info    ModelInfo
	model   Model
	batch   int
	params  []*ort.Tensor
	session *ort.Session
}

// NewPredictor loads the detector info describes with weights (aligned with
// its ParamTable) for batches of batch images. It runs the same graph as
// the training run's evaluation, so it reproduces its outputs.
func NewPredictor(info ModelInfo, weights [][]float32, batch int, opts ort.Options) (p *Predictor, err error) {
	m, err := info.Model()
	if err != nil {
		return nil, err
	}
	table := m.ParamTable()
	if len(weights) != len(table) {
		return nil, fmt.Errorf("predictor: got %d weight tensors, the detector has %d", len(weights), len(table))
	}
	if batch < 1 {
		return nil, fmt.Errorf("predictor: batch %d, want ≥ 1", batch)
	}
	p = &Predictor{info: info, model: m, batch: batch}
	defer func() {
		if err != nil {
			p.Destroy()
		}
	}()
	for k, spec := range table {
		if len(weights[k]) != spec.Size() {
			return nil, fmt.Errorf("predictor: %s has %d values, want %d", spec.Name, len(weights[k]), spec.Size())
		}
		t, err := ort.NewFloat32(shape64(spec.Shape), weights[k])
		if err != nil {
			return nil, err
		}
		p.params = append(p.params, t)
	}
	g, err := m.Graph(batch, graphgen.Float32, nil)
	if err != nil {
		return nil, err
	}
	model, err := g.Model()
	if err != nil {
		return nil, err
	}
	if p.session, err = ort.NewSession(model, ForwardInputNames(m), []string{HeatmapName, BoxName}, opts); err != nil {
		return nil, fmt.Errorf("detector forward session: %w", err)
	}
	return p, nil
}

// OpenPredictor loads checkpoint name (BestFile or LastFile) of the run in
// dir.
func OpenPredictor(dir, name string, batch int, opts ort.Options) (*Predictor, error) {
	c, err := ReadRunCheckpoint(dir, name)
	if err != nil {
		return nil, err
	}
	return NewPredictor(c.Model, c.Params(), batch, opts)
}

func shape64(shape []int) []int64 {
	out := make([]int64, len(shape))
	for i, d := range shape {
		out[i] = int64(d)
	}
	return out
}

// Info returns the detector's description.
func (p *Predictor) Info() ModelInfo { return p.info }

// Model returns the detector.
func (p *Predictor) Model() Model { return p.model }

// Batch returns the images of a forward pass.
func (p *Predictor) Batch() int { return p.batch }

// Forward writes the heatmap logits and box outputs of a full batch of
// normalised images (Batch×1×Image×Image).
func (p *Predictor) Forward(images, heatmap, box []float32) error {
	if p.session == nil {
		return fmt.Errorf("the predictor is destroyed")
	}
	return runForward(p.session, p.model, p.batch, p.params, images, heatmap, box)
}

// Detect returns the detections of the n normalised images in x
// (n×1×Image×Image), at most topK per image and none below minScore, best
// first, in input pixels.
func (p *Predictor) Detect(x []float32, n, topK int, minScore float64) ([][]Detection, error) {
	return p.DetectWith(x, n, p.model.Decoder(topK, minScore))
}

// DetectWith returns the detections of the n normalised images in x
// (n×1×Image×Image) as d decodes them; with the Decoder of
// Model.ExportDecoder, those the exported detector returns.
func (p *Predictor) DetectWith(x []float32, n int, d Decoder) ([][]Detection, error) {
	return detectImages(x, n, p.batch, p.model, d, p.Forward)
}

// Evaluation is the COCO evaluation of a detector on a set.
type Evaluation struct {
	Detections [][]Detection // per image of the set, best first
	Results    []coco.Detection
	COCO       *coco.Result
}

// Evaluate runs the detector on set, whose canvases must be of its input
// size and whose categories must be its classes, and scores the
// detections with the COCO protocol (EvalTopK, EvalMinScore).
func (p *Predictor) Evaluate(set *detdata.Set) (*Evaluation, error) {
	if err := p.info.checkSet(set); err != nil {
		return nil, err
	}
	return evaluate(set, p.info.Mean, p.info.Std, p.batch, p.model, p.Forward)
}

func evaluate(set *detdata.Set, mean, std float32, batch int, m Model, forward forwardFunc) (*Evaluation, error) {
	dets, err := predictSet(set, mean, std, batch, m, m.Decoder(EvalTopK, EvalMinScore), forward)
	if err != nil {
		return nil, err
	}
	e := &Evaluation{Detections: dets, Results: cocoDetections(set, dets)}
	if e.COCO, err = coco.Evaluate(set.COCO, e.Results); err != nil {
		return nil, err
	}
	return e, nil
}

// checkSet reports whether set can be scored by the detector info
// describes: canvases of its input size, its categories.
func (info ModelInfo) checkSet(set *detdata.Set) error {
	if set.H != info.Image || set.W != info.Image {
		return fmt.Errorf("the set's images are %d×%d and the detector takes %d×%d", set.W, set.H, info.Image, info.Image)
	}
	if len(set.CategoryIDs) != len(info.CategoryIDs) {
		return fmt.Errorf("the set has %d categories and the detector %d classes", len(set.CategoryIDs), len(info.CategoryIDs))
	}
	for k, id := range info.CategoryIDs {
		if set.CategoryIDs[k] != id || set.Classes[k] != info.Classes[k] {
			return fmt.Errorf("category %d of the set is %d %q, the detector's class %d is %d %q",
				k, set.CategoryIDs[k], set.Classes[k], k, id, info.Classes[k])
		}
	}
	return nil
}

// Destroy releases the session and tensors; safe when repeated.
func (p *Predictor) Destroy() {
	if p == nil {
		return
	}
	p.session.Destroy()
	ort.DestroyAll(p.params)
	*p = Predictor{}
}

// flipped reports whether the training image at set index i is mirrored in
// epoch e of a run with seed: a fair coin drawn from (seed, epoch, index)
// alone, so the flips do not depend on the batch an image lands in.
func flipped(seed uint64, epoch, i int) bool {
	return mix64(mix64(mix64(seed^flipDomain)^uint64(epoch))^uint64(i))&1 == 1
}

// flipDomain tells the flips' hash apart from other seeded streams.
const flipDomain = 0x464c_4950_4c52_3031

// mix64 is the SplitMix64 finaliser, a bijective hash of 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// flipImage mirrors an h×w image left to right in place.
func flipImage(x []float32, h, w int) {
	for y := range h {
		row := x[y*w : (y+1)*w]
		for a, b := 0, w-1; a < b; a, b = a+1, b-1 {
			row[a], row[b] = row[b], row[a]
		}
	}
}

// flipBox mirrors b in an image w pixels wide.
func flipBox(b Box, w int) Box {
	b.X = float64(w) - b.X - b.W
	return b
}
