package complexity

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/vit"
)

// exportedModel returns the ONNX bytes of m with weights Init(seed) as
// initializers, as a trained model is exported.
func exportedModel(t testing.TB, m vit.Model, seed uint64) []byte {
	t.Helper()
	g, err := m.Graph(vit.GraphConfig{Batch: 1, Weights: m.Init(seed)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func smallModel(t testing.TB, s Settings, top vit.Topology) vit.Model {
	t.Helper()
	m, err := vit.New(vit.NewSpec(top, s.Image, s.Classes))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWeightsReproduceInit(t *testing.T) {
	s := smallSettings()
	model := smallModel(t, s, smallTopologies(1, 21)[0])
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, exportedModel(t, model, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := LoadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	init := model.Init(8)
	for k, p := range model.ParamTable() {
		got, ok := w.tensors[p.Name]
		if !ok || !slices.Equal(got.shape, p.Shape) || !slices.Equal(got.data, init[k]) {
			t.Errorf("%s: read %v (present %v), want Init's %v values", p.Name, got.shape, ok, p.Shape)
		}
	}
}

func TestWeightsKeepMetadata(t *testing.T) {
	s := smallSettings()
	model := smallModel(t, s, smallTopologies(1, 21)[0])
	g, err := model.Graph(vit.GraphConfig{Batch: 1, Weights: model.Init(1)})
	if err != nil {
		t.Fatal(err)
	}
	g.Metadata["asvit.image"] = "32"
	b, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	w, err := ReadWeights(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Metadata()["asvit.image"]; got != "32" {
		t.Errorf("metadata asvit.image = %q, want \"32\"", got)
	}
}

// Measuring the weights Measure would draw for repeat 0 gives its numbers.
func TestMeasureWeightsMatchesMeasure(t *testing.T) {
	s := smallSettings()
	s.Repeat = 1
	top := smallTopologies(1, 23)[0]
	model := smallModel(t, s, top)
	w, err := ReadWeights(exportedModel(t, model, WeightSeed(s.Seed, top, 0)))
	if err != nil {
		t.Fatal(err)
	}
	m := newMeasurer(t, s)
	want := measure(t, m, top)
	got, err := m.MeasureWeights(context.Background(), top, w)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Timing.Cached || !slices.Equal(got.PerRepeat, want.PerRepeat) {
		t.Errorf("given weights %+v (cached %v), drawn %+v", got.PerRepeat, got.Timing.Cached, want.PerRepeat)
	}
}

func TestMeasureWeightsErrors(t *testing.T) {
	s := smallSettings()
	top := smallTopologies(1, 25)[0]
	model := smallModel(t, s, top)
	m := newMeasurer(t, s)
	edit := func(f func(*onnx.GraphProto)) *Weights {
		var mp onnx.ModelProto
		if err := proto.Unmarshal(exportedModel(t, model, 1), &mp); err != nil {
			t.Fatal(err)
		}
		f(mp.Graph)
		b, err := proto.Marshal(&mp)
		if err != nil {
			t.Fatal(err)
		}
		w, err := ReadWeights(b)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	drop := func(name string) func(*onnx.GraphProto) {
		return func(g *onnx.GraphProto) {
			g.Initializer = slices.DeleteFunc(g.Initializer, func(t *onnx.TensorProto) bool { return t.Name == name })
		}
	}
	for _, c := range []struct {
		name string
		w    *Weights
		want string
	}{
		{"missing", edit(drop("layers.1.blocks.0.attn.qkv.weight")), `no tensor "layers.1.blocks.0.attn.qkv.weight"`},
		{"missing bias", edit(drop("layers.0.blocks.0.mlps.0.1.fc2.bias")), `no tensor "layers.0.blocks.0.mlps.0.1.fc2.bias"`},
		{"misshaped", edit(func(g *onnx.GraphProto) {
			for _, t := range g.Initializer {
				if t.Name == "patch_embed.proj.weight" {
					t.Dims = []int64{t.Dims[0], t.Dims[1], t.Dims[2] * t.Dims[3]}
				}
			}
		}), `"patch_embed.proj.weight" has shape`},
	} {
		_, err := m.MeasureWeights(context.Background(), top, c.w)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %s", c.name, err, c.want)
		}
	}
	// The head and the final norm never reach the features: they may be
	// missing (a model exported with another number of classes, say).
	w := edit(func(g *onnx.GraphProto) {
		g.Initializer = slices.DeleteFunc(g.Initializer, func(t *onnx.TensorProto) bool {
			return strings.HasPrefix(t.Name, "head.") || strings.HasPrefix(t.Name, "norm.")
		})
	})
	if _, err := m.MeasureWeights(context.Background(), top, w); err != nil {
		t.Errorf("without the head: %v", err)
	}
}

func TestReadWeightsErrors(t *testing.T) {
	tensor := func(t *onnx.TensorProto) []byte {
		b, err := proto.Marshal(&onnx.ModelProto{Graph: &onnx.GraphProto{Initializer: []*onnx.TensorProto{t}}})
		if err != nil {
			panic(err)
		}
		return b
	}
	float := int32(onnx.TensorProto_FLOAT)
	for _, c := range []struct {
		name  string
		model []byte
		want  string
	}{
		{"garbage", []byte("not a model at all"), "not an ONNX model"},
		{"no graph", func() []byte { b, _ := proto.Marshal(&onnx.ModelProto{IrVersion: 8}); return b }(), "no graph"},
		{"external", tensor(&onnx.TensorProto{Name: "w", DataType: float, Dims: []int64{1}, DataLocation: onnx.TensorProto_EXTERNAL}), "external file"},
		{"short raw", tensor(&onnx.TensorProto{Name: "w", DataType: float, Dims: []int64{2}, RawData: make([]byte, 4)}), "raw data has 4 bytes, want 8"},
		{"short floats", tensor(&onnx.TensorProto{Name: "w", DataType: float, Dims: []int64{2}, FloatData: []float32{1}}), "holds 1 values, want 2"},
		{"negative dim", tensor(&onnx.TensorProto{Name: "w", DataType: float, Dims: []int64{-1}}), "negative or too large"},
		{"huge", tensor(&onnx.TensorProto{Name: "w", DataType: float, Dims: []int64{1 << 20, 1 << 20}}), "negative or too large"},
	} {
		_, err := ReadWeights(c.model)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	dup, _ := proto.Marshal(&onnx.ModelProto{Graph: &onnx.GraphProto{Initializer: []*onnx.TensorProto{
		{Name: "w", DataType: float, Dims: []int64{1}, FloatData: []float32{1}},
		{Name: "w", DataType: float, Dims: []int64{1}, FloatData: []float32{2}},
	}}})
	if _, err := ReadWeights(dup); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: got %v", err)
	}
	// Float data and other element types.
	w, err := ReadWeights(func() []byte {
		b, _ := proto.Marshal(&onnx.ModelProto{Graph: &onnx.GraphProto{Initializer: []*onnx.TensorProto{
			{Name: "a", DataType: float, Dims: []int64{2}, FloatData: []float32{1, 2}},
			{Name: "shape", DataType: int32(onnx.TensorProto_INT64), Dims: []int64{1}, Int64Data: []int64{3}},
		}}})
		return b
	}())
	if err != nil || !slices.Equal(w.Names(), []string{"a"}) || !slices.Equal(w.tensors["a"].data, []float32{1, 2}) {
		t.Errorf("got %v, %v", w, err)
	}
	if _, err := LoadWeights(filepath.Join(t.TempDir(), "none.onnx")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzReadWeights(f *testing.F) {
	// Small seeds keep the fuzzer's input minimisation fast; an exported
	// model is read in TestWeightsReproduceInit.
	float := int32(onnx.TensorProto_FLOAT)
	small, err := proto.Marshal(&onnx.ModelProto{Graph: &onnx.GraphProto{Initializer: []*onnx.TensorProto{
		{Name: "a.weight", DataType: float, Dims: []int64{2, 2}, RawData: make([]byte, 16)},
		{Name: "a.bias", DataType: float, Dims: []int64{2}, FloatData: []float32{1, 2}},
		{Name: "shape", DataType: int32(onnx.TensorProto_INT64), Dims: []int64{1}, Int64Data: []int64{3}},
	}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add([]byte{})
	f.Add([]byte("\x0a\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ReadWeights(b)
		if err != nil {
			return
		}
		for name, v := range w.tensors {
			n := 1
			for _, d := range v.shape {
				n *= d
			}
			if n != len(v.data) {
				t.Errorf("%s: shape %v with %d values", name, v.shape, len(v.data))
			}
		}
	})
}
