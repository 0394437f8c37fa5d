package train

import (
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	protobuf "google.golang.org/protobuf/proto"
)

func TestExportModelMetadata(t *testing.T) {
	m := newModel(t, tinyArch, 64, 1, 2, 8)
	b, err := ExportModel(m, m.Init(1), Meta{Mean: []float32{0.25}, Std: []float32{0.5}, ClassNames: []string{"a", `b"c`}, Version: "v9"})
	if err != nil {
		t.Fatal(err)
	}
	var mp onnx.ModelProto
	if err := protobuf.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		got[p.GetKey()] = p.GetValue()
	}
	want := map[string]string{
		MetaArch: tinyArch, MetaImage: "64", MetaChannels: "1", MetaClasses: "2",
		MetaMean: "0.25", MetaStd: "0.5", MetaClassNames: `["a","b\"c"]`, MetaOutput: "logits",
		MetaVersion: "v9", MetaPatchStride: "8", MetaPatchDilation: "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(mp.GetGraph().GetInitializer()) == 0 {
		t.Error("the exported graph has no initializers")
	}
}

func TestExportModelRejectsBadMeta(t *testing.T) {
	m := newModel(t, tinyArch, 32, 1, 2, 4)
	cases := []struct {
		meta Meta
		want string
	}{
		{Meta{Mean: []float32{0.5, 0.5}, Std: []float32{1}}, "2 mean and 1 std values for 1 channels"},
		{Meta{Mean: []float32{0.5}, Std: []float32{1}, ClassNames: []string{"x"}}, "1 class names for 2 classes"},
	}
	for _, c := range cases {
		if _, err := ExportModel(m, m.Init(1), c.meta); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want one mentioning %q", err, c.want)
		}
	}
	if _, err := ExportModel(m, m.Init(1)[1:], Meta{Mean: []float32{0}, Std: []float32{1}}); err == nil {
		t.Error("weights missing a tensor were exported")
	}
}

func BenchmarkExportModel(b *testing.B) {
	m := newModel(b, seedArch, 32, 1, 10, 4)
	w := m.Init(1)
	for b.Loop() {
		if _, err := ExportModel(m, w, Meta{Mean: []float32{0.3}, Std: []float32{0.35}}); err != nil {
			b.Fatal(err)
		}
	}
}
