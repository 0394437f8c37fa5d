package graphgen

import (
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// DType is the element type of a Value.
type DType int

// Element types graphs can hold.
const (
	Float32 DType = iota + 1
	Float64
	Int64
	Bool
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "f32"
	case Float64:
		return "f64"
	case Int64:
		return "i64"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

func (d DType) proto() onnx.TensorProto_DataType {
	switch d {
	case Float32:
		return onnx.TensorProto_FLOAT
	case Float64:
		return onnx.TensorProto_DOUBLE
	case Int64:
		return onnx.TensorProto_INT64
	case Bool:
		return onnx.TensorProto_BOOL
	}
	panic(fmt.Sprintf("graphgen: no ONNX type for %v", d))
}
