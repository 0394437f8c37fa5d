package ort

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// initChildEnv makes the test binary call Init, print the outcome and exit,
// so that library loading can be tested in a fresh process.
const initChildEnv = "ORT_TEST_INIT_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(initChildEnv) == "1" {
		err := Init()
		fmt.Printf("notfound=%t\n%v\n", errors.Is(err, ErrLibraryNotFound), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// initORT loads the runtime library or fails the test saying how to get it.
func initORT(tb testing.TB) {
	tb.Helper()
	if err := Init(); err != nil {
		tb.Fatalf("the ONNX Runtime library is required by these tests: %v", err)
	}
}

// tensorValue declares a tensor; a negative dim is dynamic and no dims make a
// scalar.
func tensorValue(name string, dt DataType, dims ...int64) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for i, d := range dims {
		dim := &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: fmt.Sprintf("%s_dim%d", name, i)}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(dt), Shape: shape},
	}}}
}

func node(op string, inputs, outputs []string, attrs ...*onnx.AttributeProto) *onnx.NodeProto {
	return &onnx.NodeProto{OpType: op, Name: op + "_" + outputs[0], Input: inputs, Output: outputs, Attribute: attrs}
}

// encodeGraph wraps g in an opset-17 model and serialises it.
func encodeGraph(tb testing.TB, g *onnx.GraphProto) []byte {
	tb.Helper()
	g.Name = "test"
	m := &onnx.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnx.OperatorSetIdProto{{Domain: "", Version: 17}},
		Graph:       g,
	}
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatalf("marshal model: %v", err)
	}
	return b
}

// affineModel computes Y = X·W + B with X [batch, k] (batch dynamic),
// W [k, n], B [n], all float32.
func affineModel(tb testing.TB, k, n int64) []byte {
	return encodeGraph(tb, &onnx.GraphProto{
		Node: []*onnx.NodeProto{
			node("MatMul", []string{"X", "W"}, []string{"XW"}),
			node("Add", []string{"XW", "B"}, []string{"Y"}),
		},
		Input:  []*onnx.ValueInfoProto{tensorValue("X", Float32, -1, k), tensorValue("W", Float32, k, n), tensorValue("B", Float32, n)},
		Output: []*onnx.ValueInfoProto{tensorValue("Y", Float32, -1, n)},
	})
}

// binaryModel computes C = op(A, B) for A, B and C of one type and shape.
func binaryModel(tb testing.TB, op string, dt DataType, dims ...int64) []byte {
	return encodeGraph(tb, &onnx.GraphProto{
		Node:   []*onnx.NodeProto{node(op, []string{"A", "B"}, []string{"C"})},
		Input:  []*onnx.ValueInfoProto{tensorValue("A", dt, dims...), tensorValue("B", dt, dims...)},
		Output: []*onnx.ValueInfoProto{tensorValue("C", dt, dims...)},
	})
}
