package export

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/internal/prereq"
	"github.com/asvit/asvit/vit"
)

// tinyArch has widths 4, 8, 16, 32.
const tinyArch = "4,2,2,1|2,1,2,1|2,1,2,1|2,1,2,1|8,4"

func newModel(t *testing.T, image, stride int) vit.Model {
	t.Helper()
	top, err := vit.Parse(tinyArch)
	if err != nil {
		t.Fatal(err)
	}
	spec := vit.NewSpec(top, image, 2)
	spec.Channels, spec.PatchStride = 1, stride
	m, err := vit.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeModel(t *testing.T, b []byte) (*onnx.ModelProto, map[string]string) {
	t.Helper()
	var mp onnx.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	return &mp, props
}

// TestModelOutputsAndMetadata exports each output and checks the graph's
// outputs, the metadata, and that ONNX's full checker accepts the file.
func TestModelOutputsAndMetadata(t *testing.T) {
	m := newModel(t, 64, 4)
	meta := Meta{Mean: []float32{0.25}, Std: []float32{0.5}, ClassNames: []string{"a", `b"c`},
		Weights: WeightsBest, Seed: 9, Epoch: 3, Step: 24, Version: "v9",
		Network: Network{Arch: "ignored", Image: 1}}
	for _, c := range []struct {
		out   Output
		names []string
		dims  [][]int64
	}{
		{Logits, []string{"logits"}, [][]int64{{2}}},
		{Features, []string{"features"}, [][]int64{{32}}},
		{Stages, []string{"stage1", "stage2", "stage3", "stage4"}, [][]int64{{4, 16, 16}, {8, 8, 8}, {16, 4, 4}, {32, 2, 2}}},
	} {
		meta.Output = c.out
		b, written, err := Model(m, m.Init(1), meta)
		if err != nil {
			t.Fatal(err)
		}
		if written.Arch != tinyArch || written.Image != 64 || written.PatchStride != 4 || written.Output != c.out {
			t.Errorf("%s: Model returned %+v", c.out, written)
		}
		mp, got := decodeModel(t, b)
		var names []string
		for i, o := range mp.GetGraph().GetOutput() {
			names = append(names, o.GetName())
			var dims []int64
			for _, d := range o.GetType().GetTensorType().GetShape().GetDim() {
				dims = append(dims, d.GetDimValue())
			}
			if want := append([]int64{0}, c.dims[i]...); !slices.Equal(dims, want) { // 0: the symbolic batch
				t.Errorf("%s: output %s has dims %v, want %v", c.out, o.GetName(), dims, want)
			}
		}
		if !slices.Equal(names, c.names) {
			t.Errorf("%s: outputs %v, want %v", c.out, names, c.names)
		}
		want := map[string]string{
			KeyArch: tinyArch, KeyImage: "64", KeyChannels: "1", KeyClasses: "2",
			KeyMean: "0.25", KeyStd: "0.5", KeyClassNames: `["a","b\"c"]`, KeyOutput: string(c.out),
			KeyVersion: "v9", KeyPatchStride: "4", KeyPatchDilation: "1",
			KeyWeights: "best", KeySeed: "9", KeyEpoch: "3", KeyStep: "24",
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: metadata %v, want %v", c.out, got, want)
		}
		if d, err := Decode(got); err != nil || d.Output != c.out || d.PatchStride != 4 || d.Epoch != 3 {
			t.Errorf("%s: decoded %+v, %v", c.out, d, err)
		}
		path := filepath.Join(t.TempDir(), "m.onnx")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		prereq.CheckONNX(t, path)
	}
}

func TestModelRejectsBadMeta(t *testing.T) {
	m := newModel(t, 32, 4)
	cases := []struct {
		meta Meta
		want string
	}{
		{Meta{Mean: []float32{0.5, 0.5}, Std: []float32{1}}, "2 mean and 1 std values for 1 channels"},
		{Meta{Mean: []float32{0.5}, Std: []float32{1}, ClassNames: []string{"x"}}, "1 class names for 2 classes"},
		{Meta{Mean: []float32{0.5}, Std: []float32{1}, Output: "maps"}, `output "maps"`},
	}
	for _, c := range cases {
		if _, _, err := Model(m, m.Init(1), c.meta); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want one mentioning %q", err, c.want)
		}
	}
	if _, _, err := Model(m, m.Init(1)[1:], Meta{Mean: []float32{0}, Std: []float32{1}}); err == nil {
		t.Error("weights missing a tensor were exported")
	}
}

func BenchmarkModel(b *testing.B) {
	top, _ := vit.Parse(seedArch)
	spec := vit.NewSpec(top, 32, 10)
	spec.Channels = 1
	m, err := vit.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	w := m.Init(1)
	for b.Loop() {
		if _, _, err := Model(m, w, Meta{Mean: []float32{0.3}, Std: []float32{0.35}}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGraphWritesMetadata writes a graph built elsewhere with a detector's
// metadata, and refuses incomplete metadata.
func TestGraphWritesMetadata(t *testing.T) {
	build := func() *graphgen.Graph {
		g := graphgen.New("t")
		g.DynamicBatch = true
		g.Output("y", g.Sigmoid(g.Input(vit.InputName, graphgen.Float32, 1, 1, 8, 8)))
		return g
	}
	meta := Meta{Network: Network{Arch: tinyArch, Image: 8, Channels: 1, Classes: 3}, Mean: []float32{0.5}, Std: []float32{0.5},
		Output: Detections, Detection: Detection{TopK: 5, ScoreThreshold: 0.1, IoUThreshold: 0.6}, Version: "v1"}
	b, err := Graph(build(), meta)
	if err != nil {
		t.Fatal(err)
	}
	_, props := decodeModel(t, b)
	if got, err := Decode(props); err != nil || !reflect.DeepEqual(got, meta) {
		t.Errorf("decoded %+v, %v; want %+v", got, err, meta)
	}
	bad := meta
	bad.Detection.TopK = 0
	if _, err := Graph(build(), bad); err == nil || !strings.Contains(err.Error(), "asvit.top_k") {
		t.Errorf("top-k 0: %v", err)
	}
	bad = meta
	bad.Std = nil
	if _, err := Graph(build(), bad); err == nil || !strings.Contains(err.Error(), "asvit.std") {
		t.Errorf("no std: %v", err)
	}
}
