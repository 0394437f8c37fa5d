package ort

import (
	"reflect"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

func TestModelInfoAffine(t *testing.T) {
	in, out, err := ModelInfo(affineModel(t, 4, 2))
	if err != nil {
		t.Fatal(err)
	}
	wantIn := []ValueInfo{
		{Name: "X", Type: Float32, Shape: []int64{-1, 4}},
		{Name: "W", Type: Float32, Shape: []int64{4, 2}},
		{Name: "B", Type: Float32, Shape: []int64{2}},
	}
	wantOut := []ValueInfo{{Name: "Y", Type: Float32, Shape: []int64{-1, 2}}}
	if !reflect.DeepEqual(in, wantIn) || !reflect.DeepEqual(out, wantOut) {
		t.Errorf("got inputs %v outputs %v\nwant inputs %v outputs %v", in, out, wantIn, wantOut)
	}
	if s := in[0].String(); s != `"X" float32 [-1 4]` {
		t.Errorf("ValueInfo.String() = %s", s)
	}
}

func TestModelInfoEdgeCases(t *testing.T) {
	noRank := &onnx.ValueInfoProto{Name: "anyshape", Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(Float64)},
	}}}
	unnamedDim := tensorValue("unnamed", Int64, 5, 7)
	unnamedDim.Type.GetTensorType().Shape.Dim[1].Value = nil
	sequence := &onnx.ValueInfoProto{Name: "seq", Type: &onnx.TypeProto{Value: &onnx.TypeProto_SequenceType{
		SequenceType: &onnx.TypeProto_Sequence{},
	}}}
	model := encodeGraph(t, &onnx.GraphProto{
		Input:       []*onnx.ValueInfoProto{tensorValue("scalar", Bool), tensorValue("bias", Float32, 3), noRank, unnamedDim, sequence},
		Initializer: []*onnx.TensorProto{{Name: "bias", Dims: []int64{3}, DataType: int32(Float32), FloatData: []float32{1, 2, 3}}},
		Output:      []*onnx.ValueInfoProto{tensorValue("out", DataType(onnx.TensorProto_FLOAT16), -1)},
	})
	in, out, err := ModelInfo(model)
	if err != nil {
		t.Fatal(err)
	}
	wantIn := []ValueInfo{
		{Name: "scalar", Type: Bool, Shape: []int64{}},
		{Name: "anyshape", Type: Float64},
		{Name: "unnamed", Type: Int64, Shape: []int64{5, -1}},
		{Name: "seq"},
	}
	wantOut := []ValueInfo{{Name: "out", Type: DataType(onnx.TensorProto_FLOAT16), Shape: []int64{-1}}}
	if !reflect.DeepEqual(in, wantIn) || !reflect.DeepEqual(out, wantOut) {
		t.Errorf("got inputs %#v outputs %#v\nwant inputs %#v outputs %#v", in, out, wantIn, wantOut)
	}
	if in[0].Shape == nil || in[1].Shape != nil {
		t.Error("a scalar must have an empty, non-nil shape and an undeclared rank a nil one")
	}
	if s := in[1].String(); s != `"anyshape" float64 (rank not declared)` {
		t.Errorf("ValueInfo.String() = %s", s)
	}
	if s := out[0].String(); s != `"out" float16 [-1]` {
		t.Errorf("ValueInfo.String() = %s", s)
	}
}

func TestModelInfoErrors(t *testing.T) {
	graphless, err := proto.Marshal(&onnx.ModelProto{IrVersion: 8})
	if err != nil {
		t.Fatal(err)
	}
	valid := affineModel(t, 2, 2)
	tests := []struct {
		name  string
		model []byte
		want  string
	}{
		{"empty", nil, "read model: model bytes are empty"},
		{"garbage", []byte("this is not a protobuf \xff\xff\xff"), "read model: not an ONNX protobuf (26 bytes)"},
		{"truncated", valid[:len(valid)-3], "read model: not an ONNX protobuf"},
		{"no graph", graphless, "read model: the model has no graph"},
	}
	for _, tc := range tests {
		if _, _, err := ModelInfo(tc.model); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzModelInfo checks that arbitrary bytes never panic and that accepted
// models report well-formed shapes.
func FuzzModelInfo(f *testing.F) {
	f.Add(affineModel(f, 3, 2))
	f.Add(binaryModel(f, "Add", Float64, 2, 3))
	f.Add([]byte{})
	f.Add([]byte("\x3a\x05\x0a\x03\x12\x01\x58"))
	f.Fuzz(func(t *testing.T, model []byte) {
		in, out, err := ModelInfo(model)
		if err != nil {
			return
		}
		for _, v := range append(in, out...) {
			for _, d := range v.Shape {
				if d < -1 {
					t.Fatalf("%v has dimension %d; only -1 marks a dynamic one", v, d)
				}
			}
		}
	})
}

func BenchmarkModelInfo(b *testing.B) {
	model := affineModel(b, 64, 64)
	for b.Loop() {
		if _, _, err := ModelInfo(model); err != nil {
			b.Fatal(err)
		}
	}
}
