package detect

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/graphgen/eval"
	"github.com/asvit/asvit/internal/prereq"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// slots are an exported detector's outputs for a batch.
type slots struct {
	boxes, scores []float64 // [N, K, 4] and [N, K]
	classes       []int64   // [N, K]
}

// runExported runs model bytes in ONNX Runtime on n images.
func runExported(t *testing.T, model []byte, images []float32, n, side int) slots {
	t.Helper()
	sess, err := ort.NewSession(model, []string{vit.InputName}, []string{BoxesName, ScoresName, ClassesName}, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()
	x, err := ort.NewFloat32([]int64{int64(n), 1, int64(side), int64(side)}, images)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	outs, err := sess.Run([]*ort.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	defer ort.DestroyAll(outs)
	var s slots
	for _, v := range outs[0].Float32s() {
		s.boxes = append(s.boxes, float64(v))
	}
	for _, v := range outs[1].Float32s() {
		s.scores = append(s.scores, float64(v))
	}
	s.classes = slices.Clone(outs[2].Int64s())
	return s
}

// goSlots decodes the network's outputs for n images (from Stepper.Forward)
// with d and lays the detections out as the exported model's slots.
func goSlots(t *testing.T, m Model, weights [][]float32, d Decoder, images []float32, n int) (slots, [][]Detection) {
	t.Helper()
	s, err := NewStepper(m, weights, n, 0, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	side := m.OutputSide()
	heat := make([]float32, n*m.Classes()*side*side)
	box := make([]float32, n*BoxChannels*side*side)
	if err := s.Forward(images, heat, box); err != nil {
		t.Fatal(err)
	}
	dets, err := d.Decode(heat, box, n)
	if err != nil {
		t.Fatal(err)
	}
	k := d.TopK
	out := slots{boxes: make([]float64, n*k*4), scores: make([]float64, n*k), classes: make([]int64, n*k)}
	for i, ds := range dets {
		for j := range k {
			out.classes[i*k+j] = -1
			if j < len(ds) {
				b := ds[j]
				copy(out.boxes[(i*k+j)*4:], []float64{b.X, b.Y, b.W, b.H})
				out.scores[i*k+j], out.classes[i*k+j] = b.Score, int64(b.Class)
			}
		}
	}
	return out, dets
}

// sameSlots fails t unless got matches want: classes exactly, scores to
// 1e-5, boxes to 1e-3 pixels.
func sameSlots(t *testing.T, what string, got, want slots) {
	t.Helper()
	if len(got.scores) != len(want.scores) || len(got.boxes) != len(want.boxes) || len(got.classes) != len(want.classes) {
		t.Fatalf("%s: %d scores, %d box values, %d classes; want %d, %d, %d", what,
			len(got.scores), len(got.boxes), len(got.classes), len(want.scores), len(want.boxes), len(want.classes))
	}
	bad := 0
	var worstScore, worstBox float64
	for i := range got.scores {
		gb, wb := got.boxes[4*i:4*i+4], want.boxes[4*i:4*i+4]
		worstScore = max(worstScore, math.Abs(got.scores[i]-want.scores[i]))
		near := got.classes[i] == want.classes[i] && math.Abs(got.scores[i]-want.scores[i]) <= 1e-5
		for c := range 4 {
			worstBox = max(worstBox, math.Abs(gb[c]-wb[c]))
			near = near && math.Abs(gb[c]-wb[c]) <= 1e-3
		}
		if !near {
			if bad++; bad <= 5 {
				t.Errorf("%s: slot %d: class %d score %.7f box %.4f; want class %d score %.7f box %.4f", what, i,
					got.classes[i], got.scores[i], gb, want.classes[i], want.scores[i], wb)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d slots differ", what, bad, len(got.scores))
	}
	t.Logf("%s: scores differ by %.2g at most, boxes by %.2g pixels", what, worstScore, worstBox)
}

// noiseImages draws n 1×side×side images of standard normal noise.
func noiseImages(seed uint64, n, side int) []float32 {
	r := rand.New(rand.NewPCG(seed, 9))
	out := make([]float32, n*side*side)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// craft returns weights whose heatmap logits sit around bias + class
// (the last convolution's bias) and vary more between cells (its weights
// scaled ×12), and whose boxes are about size pixels wide: many peaks score
// high and boxes of one class overlap.
func craft(m Model, seed uint64, bias, size float64) [][]float32 {
	w := m.Init(seed)
	for k, p := range m.ParamTable() {
		switch p.Name {
		case "heatmap.2.weight":
			for i := range w[k] {
				w[k][i] *= 12
			}
		case "heatmap.2.bias":
			for i := range w[k] {
				w[k][i] = float32(bias + float64(i))
			}
		case "box.2.bias":
			w[k][2] = float32(math.Log(size / float64(m.Backbone().Spec().Image)))
			w[k][3] = float32(math.Log(0.8 * size / float64(m.Backbone().Spec().Image)))
		}
	}
	return w
}

// TestExportMatchesDecoder: the exported model, run in ONNX Runtime on
// batches of 3 and 1, returns the slots that Decoder with NMS gives for
// the network's outputs, for initial and for crafted confident weights.
func TestExportMatchesDecoder(t *testing.T) {
	m := tinyDetector(t, 32)
	cases := []struct {
		name    string
		weights [][]float32
		opts    ExportOptions
		images  []float32
		// overlaps: NMS removes boxes, or, without it, boxes of a class
		// overlapping by more than 0.5 survive.
		overlaps bool
	}{
		// Scores near the prior 0.1 and boxes about the image's size: the
		// score threshold empties slots and NMS removes overlapping boxes.
		{"initial weights", m.Init(5), ExportOptions{TopK: 40, MinScore: 0.104}, noiseImages(1, 3, 32), true},
		{"confident peaks", craft(m, 6, 1, 14), ExportOptions{TopK: 60, MinScore: 0.3, IoUThreshold: 0.4}, noiseImages(2, 3, 32), true},
		{"confident squares, no NMS", craft(m, 7, 2, 10), ExportOptions{MinScore: 0.975, IoUThreshold: 1}, func() []float32 {
			x, _ := squares(rand.New(rand.NewPCG(3, 3)), 3)
			return x
		}(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			model, _, err := m.Export(c.weights, c.opts, export.Meta{Mean: []float32{0.5}, Std: []float32{0.25}})
			if err != nil {
				t.Fatal(err)
			}
			d, err := m.ExportDecoder(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			want, dets := goSlots(t, m, c.weights, d, c.images, 3)
			got := runExported(t, model, c.images, 3, 32)
			sameSlots(t, "batch 3", got, want)
			// The same model on the first image alone.
			one := runExported(t, model, c.images[:32*32], 1, 32)
			k := d.TopK
			sameSlots(t, "batch 1", one, slots{want.boxes[:4*k], want.scores[:k], want.classes[:k]})

			// The case exercises what it is meant to: some slots full and
			// some empty, and overlapping boxes.
			withoutNMS := d
			withoutNMS.IoUThreshold = 0
			_, all := goSlots(t, m, c.weights, withoutNMS, c.images, 3)
			removed, full, overlapping := 0, 0, 0
			for i := range dets {
				removed += len(all[i]) - len(dets[i])
				full += len(dets[i])
				for a, p := range dets[i] {
					for _, q := range dets[i][:a] {
						if p.Class == q.Class && IoU(p.Box, q.Box) > 0.5 {
							overlapping++
						}
					}
				}
			}
			t.Logf("K %d: %d of %d slots full, %d boxes removed by NMS, %d pairs kept overlapping", k, full, 3*k, removed, overlapping)
			if full == 0 || full == 3*k {
				t.Errorf("%d of %d slots full; want some full and some empty", full, 3*k)
			}
			if d.IoUThreshold > 0 && (removed > 0) != c.overlaps {
				t.Errorf("NMS removed %d boxes", removed)
			}
			if d.IoUThreshold == 0 && (overlapping > 0) != c.overlaps {
				t.Errorf("%d pairs of boxes of one class overlap by more than 0.5", overlapping)
			}
		})
	}
}

// TestExportMetadataAndChecker checks the model's declared inputs and
// outputs, its metadata, and that ONNX's full checker accepts it.
func TestExportMetadataAndChecker(t *testing.T) {
	m := tinyDetector(t, 32)
	meta := export.Meta{Mean: []float32{0.3}, Std: []float32{0.2}, ClassNames: []string{"a", "b", "c"}, Weights: export.WeightsLast, Epoch: 2, Version: "v1"}
	model, written, err := m.Export(m.Init(1), ExportOptions{TopK: 25, MinScore: 0.2}, meta)
	if err != nil {
		t.Fatal(err)
	}
	want := export.Detection{TopK: 25, ScoreThreshold: 0.2, IoUThreshold: DefaultIoUThreshold}
	if written.Output != export.Detections || written.Detection != want || written.Classes != 3 || written.Image != 32 || written.PatchStride != 2 {
		t.Errorf("Export returned %+v", written)
	}
	inputs, outputs, err := ort.ModelInfo(model)
	if err != nil {
		t.Fatal(err)
	}
	var io []string
	for _, v := range append(inputs, outputs...) {
		io = append(io, v.String())
	}
	wantIO := []string{`"input" float32 [-1 1 32 32]`, `"boxes" float32 [-1 25 4]`, `"scores" float32 [-1 25]`, `"classes" int64 [-1 25]`}
	if !slices.Equal(io, wantIO) {
		t.Errorf("model inputs and outputs %v, want %v", io, wantIO)
	}
	props, err := modelProps(model)
	if err != nil {
		t.Fatal(err)
	}
	got, err := export.Decode(props)
	if err != nil {
		t.Fatal(err)
	}
	if got.Detection != want || !slices.Equal(got.ClassNames, meta.ClassNames) || got.Arch != tinyArch || got.Epoch != 2 || props[export.KeyLayout] != export.DetectionsLayout {
		t.Errorf("decoded metadata %+v from %v", got, props)
	}
	path := filepath.Join(t.TempDir(), "detector.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	prereq.CheckONNX(t, path)
}

// modelProps returns a model's metadata_props.
func modelProps(model []byte) (map[string]string, error) {
	var mp onnx.ModelProto
	if err := proto.Unmarshal(model, &mp); err != nil {
		return nil, err
	}
	props := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	return props, nil
}

// TestExportGraphMatchesEvaluator runs the exported graph, NMS and all, in
// the float64 reference interpreter against ONNX Runtime on one image.
func TestExportGraphMatchesEvaluator(t *testing.T) {
	m := tinyDetector(t, 32)
	weights := craft(m, 8, 1, 14)
	opts := ExportOptions{TopK: 80, MinScore: 0.95}
	g, err := m.ExportGraph(weights, opts)
	if err != nil {
		t.Fatal(err)
	}
	model, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	images := noiseImages(4, 1, 32)
	want := runExported(t, model, images, 1, 32)
	feeds := map[*graphgen.Value][]float64{g.Inputs()[0]: widen(images)}
	res, err := eval.Run(g.Outputs(), feeds)
	if err != nil {
		t.Fatal(err)
	}
	got := slots{boxes: res[0], scores: res[1]}
	for _, c := range res[2] {
		got.classes = append(got.classes, int64(c))
	}
	sameSlots(t, "evaluator", got, want)

	// NMS empties some of the slots that the score threshold leaves full.
	opts.IoUThreshold = 1
	g, err = m.ExportGraph(weights, opts)
	if err != nil {
		t.Fatal(err)
	}
	if model, err = g.Model(); err != nil {
		t.Fatal(err)
	}
	all := runExported(t, model, images, 1, 32)
	count := func(s slots) (n int) {
		for _, c := range s.classes {
			if c >= 0 {
				n++
			}
		}
		return n
	}
	n, before := count(got), count(all)
	t.Logf("%d of %d slots full, %d without NMS", n, opts.TopK, before)
	if !(n > 0 && n < before && before < opts.TopK) {
		t.Errorf("%d full slots after NMS, %d before, of %d; want 0 < after < before < all", n, before, opts.TopK)
	}
}

func TestExportOptionErrors(t *testing.T) {
	m := tinyDetector(t, 32) // 3 classes × 16² cells
	meta := export.Meta{Mean: []float32{0}, Std: []float32{1}}
	for _, c := range []struct {
		opts ExportOptions
		meta export.Meta
		want string
	}{
		{ExportOptions{TopK: 769}, meta, "top-k 769, want 1..768"},
		{ExportOptions{TopK: -1}, meta, "top-k -1"},
		{ExportOptions{MinScore: 1.5}, meta, "minimum score 1.5"},
		{ExportOptions{IoUThreshold: -0.1}, meta, "IoU threshold -0.1, want a number in (0, 1]"},
		{ExportOptions{IoUThreshold: math.NaN()}, meta, "IoU threshold NaN"},
		{ExportOptions{}, export.Meta{Mean: []float32{0, 0}, Std: []float32{1}}, "2 mean and 1 std values for 1 channels"},
		{ExportOptions{}, export.Meta{Mean: []float32{0}, Std: []float32{1}, ClassNames: []string{"x"}}, "1 class names for 3 classes"},
	} {
		if _, _, err := m.Export(m.Init(1), c.opts, c.meta); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := m.ExportGraph(m.Init(1)[1:], ExportOptions{}); err == nil || !strings.Contains(err.Error(), "weight tensors") {
		t.Errorf("missing weights: %v", err)
	}
	d, err := m.ExportDecoder(ExportOptions{})
	if err != nil || d.TopK != DefaultExportTopK || d.IoUThreshold != DefaultIoUThreshold || d.MinScore != 0 {
		t.Errorf("default decoder %+v, %v", d, err)
	}
}
