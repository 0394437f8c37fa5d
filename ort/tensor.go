package ort

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unsafe"

	"github.com/advancedclimatesystems/gonnx/onnx"
	onnxruntime "github.com/yalue/onnxruntime_go"
)

// DataType is an ONNX tensor element type; the values are those of
// onnx.TensorProto_DataType.
type DataType int32

// The element types a Tensor can hold. Models may declare others; ModelInfo
// reports them, but tensors of those types cannot be built here.
const (
	Float32 DataType = DataType(onnx.TensorProto_FLOAT)
	Int64   DataType = DataType(onnx.TensorProto_INT64)
	Bool    DataType = DataType(onnx.TensorProto_BOOL)
	Float64 DataType = DataType(onnx.TensorProto_DOUBLE)
)

var dataTypeNames = map[DataType]string{Float32: "float32", Int64: "int64", Bool: "bool", Float64: "float64"}

// String returns the Go name of the supported types ("float32") and the
// lower-cased ONNX name of the others ("float16").
func (d DataType) String() string {
	if name, ok := dataTypeNames[d]; ok {
		return name
	}
	return strings.ToLower(onnx.TensorProto_DataType(d).String())
}

// Tensor is a dense tensor in host memory, usable as a Session input or
// output.
//
// Ownership: a Tensor's elements live in a Go slice, which the ONNX Runtime
// value refers to without copying. The slice returned by Float32s (and the
// other typed accessors) is that storage, so writes to it are seen by the
// next Run, and a Run that writes the tensor as an output updates it in
// place. The Go garbage collector keeps the storage alive while the Tensor is
// reachable; Destroy releases the runtime's small handle on it. Sessions keep
// no reference to tensors once Run returns, so tensors and sessions may be
// destroyed in any order. A tensor must not be written from Go while a Run
// that uses it is in progress.
type Tensor struct {
	value onnxruntime.Value
	dtype DataType
	shape []int64
	data  any // []float32, []float64, []int64 or []bool: the storage
}

// NewFloat32 returns a float32 tensor of the given shape stored in data,
// which is not copied (except for a rank-0 shape, whose single value is).
// len(data) must equal the product of shape. The caller must Destroy it.
func NewFloat32(shape []int64, data []float32) (*Tensor, error) {
	return newTensor(Float32, shape, data)
}

// NewFloat64 is NewFloat32 for float64 elements.
func NewFloat64(shape []int64, data []float64) (*Tensor, error) {
	return newTensor(Float64, shape, data)
}

// NewInt64 is NewFloat32 for int64 elements.
func NewInt64(shape []int64, data []int64) (*Tensor, error) {
	return newTensor(Int64, shape, data)
}

// NewBool is NewFloat32 for bool elements.
func NewBool(shape []int64, data []bool) (*Tensor, error) {
	return newTensor(Bool, shape, data)
}

// ZerosFloat32 returns a zero-filled float32 tensor of the given shape, with
// freshly allocated storage. The caller must Destroy it.
func ZerosFloat32(shape []int64) (*Tensor, error) { return zeros[float32](Float32, shape) }

// ZerosFloat64 is ZerosFloat32 for float64 elements.
func ZerosFloat64(shape []int64) (*Tensor, error) { return zeros[float64](Float64, shape) }

// ZerosInt64 is ZerosFloat32 for int64 elements.
func ZerosInt64(shape []int64) (*Tensor, error) { return zeros[int64](Int64, shape) }

// ZerosBool is ZerosFloat32 for bool elements (all false).
func ZerosBool(shape []int64) (*Tensor, error) { return zeros[bool](Bool, shape) }

// zerosOf returns a zero-filled tensor of any supported type.
func zerosOf(dt DataType, shape []int64) (*Tensor, error) {
	switch dt {
	case Float32:
		return ZerosFloat32(shape)
	case Float64:
		return ZerosFloat64(shape)
	case Int64:
		return ZerosInt64(shape)
	case Bool:
		return ZerosBool(shape)
	}
	return nil, fmt.Errorf("new %s tensor: element type unsupported; use float32, float64, int64 or bool", dt)
}

// Shape returns a copy of the tensor's dimensions; empty for a scalar.
func (t *Tensor) Shape() []int64 {
	if t == nil {
		return nil
	}
	return append([]int64{}, t.shape...)
}

// DataType returns the element type.
func (t *Tensor) DataType() DataType {
	if t == nil {
		return 0
	}
	return t.dtype
}

// Float32s returns the tensor's storage itself, not a copy, in row-major
// order. It panics if the tensor is not float32 or has been destroyed.
func (t *Tensor) Float32s() []float32 { return storage[float32](t, Float32) }

// Float64s is Float32s for float64 tensors.
func (t *Tensor) Float64s() []float64 { return storage[float64](t, Float64) }

// Int64s is Float32s for int64 tensors.
func (t *Tensor) Int64s() []int64 { return storage[int64](t, Int64) }

// Bools is Float32s for bool tensors.
func (t *Tensor) Bools() []bool { return storage[bool](t, Bool) }

// Destroy releases the runtime's handle on the storage. It is safe on nil and
// on a tensor already destroyed. The slices returned by the accessors remain
// ordinary Go memory.
func (t *Tensor) Destroy() {
	if t == nil || t.value == nil {
		return
	}
	_ = t.value.Destroy() // onnxruntime_go's Destroy always returns nil
	*t = Tensor{}
}

// DestroyAll destroys every tensor in ts; nil entries are skipped.
func DestroyAll(ts []*Tensor) {
	for _, t := range ts {
		t.Destroy()
	}
}

// String describes the tensor as type and shape, such as "float32 [2 3]".
func (t *Tensor) String() string {
	if t == nil || t.value == nil {
		return "destroyed tensor"
	}
	return fmt.Sprintf("%s %v", t.dtype, t.shape)
}

func storage[T any](t *Tensor, want DataType) []T {
	if t == nil || t.value == nil {
		panic(fmt.Sprintf("ort: %s data of a destroyed tensor", want))
	}
	if t.dtype != want {
		panic(fmt.Sprintf("ort: %s data asked of a %s tensor", want, t.dtype))
	}
	return t.data.([]T)
}

func zeros[T onnxruntime.TensorData](dt DataType, shape []int64) (*Tensor, error) {
	n, err := elementCount(shape)
	if err != nil {
		return nil, fmt.Errorf("new %s tensor %v: %w", dt, shape, err)
	}
	return newTensor(dt, shape, make([]T, n))
}

func newTensor[T onnxruntime.TensorData](dt DataType, shape []int64, data []T) (*Tensor, error) {
	t, err := makeTensor(dt, shape, data)
	if err != nil {
		return nil, fmt.Errorf("new %s tensor %v: %w", dt, shape, err)
	}
	return t, nil
}

func makeTensor[T onnxruntime.TensorData](dt DataType, shape []int64, data []T) (*Tensor, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	n, err := elementCount(shape)
	if err != nil {
		return nil, err
	}
	if len(data) != n {
		return nil, fmt.Errorf("shape needs %d values, got %d", n, len(data))
	}
	if len(shape) == 0 {
		return makeScalar(dt, data[0])
	}
	v, err := onnxruntime.NewTensor(onnxruntime.Shape(shape), data)
	if err != nil {
		return nil, err
	}
	return fromTensor(v, dt), nil
}

// makeScalar builds a rank-0 tensor, which onnxruntime_go's Tensor cannot be.
func makeScalar[T onnxruntime.TensorData](dt DataType, value T) (*Tensor, error) {
	s, err := onnxruntime.NewScalar(value)
	if err != nil {
		return nil, err
	}
	data, err := scalarStorage(s)
	if err != nil {
		_ = s.Destroy()
		return nil, err
	}
	return &Tensor{value: s, dtype: dt, shape: []int64{}, data: data}, nil
}

// scalarStorage returns the one-element slice the runtime value of s points
// at. onnxruntime_go keeps it unexported (its Scalar.Set swaps in a new slice
// that the runtime never sees), so it is read by reflection; the scalar tests
// fail if a new onnxruntime_go version changes that field.
func scalarStorage[T onnxruntime.TensorData](s *onnxruntime.Scalar[T]) ([]T, error) {
	f := reflect.ValueOf(s).Elem().FieldByName("data")
	if !f.IsValid() || f.Type() != reflect.TypeFor[[]T]() {
		return nil, errors.New("onnxruntime_go's Scalar has no data []T field; this package needs updating for the new version")
	}
	return *(*[]T)(unsafe.Pointer(f.UnsafeAddr())), nil
}

func fromTensor[T onnxruntime.TensorData](v *onnxruntime.Tensor[T], dt DataType) *Tensor {
	return &Tensor{value: v, dtype: dt, shape: v.GetShape(), data: v.GetData()}
}

// fromValue wraps a value that ONNX Runtime allocated for an output. It takes
// ownership of v, destroying it when its type is unsupported.
func fromValue(v onnxruntime.Value) (*Tensor, error) {
	switch v := v.(type) {
	case *onnxruntime.Tensor[float32]:
		return fromTensor(v, Float32), nil
	case *onnxruntime.Tensor[float64]:
		return fromTensor(v, Float64), nil
	case *onnxruntime.Tensor[int64]:
		return fromTensor(v, Int64), nil
	case *onnxruntime.Tensor[bool]:
		return fromTensor(v, Bool), nil
	}
	dt := DataType(v.DataType())
	_ = v.Destroy()
	return nil, fmt.Errorf("element type %s unsupported; use float32, float64, int64 or bool", dt)
}

// elementCount returns the number of elements of shape, rejecting negative
// dimensions and sizes whose storage would not fit in memory.
func elementCount(shape []int64) (int, error) {
	n := int64(1)
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d is %d; dimensions must be >= 0", i, d)
		}
		if d != 0 && n > math.MaxInt64/8/d {
			return 0, fmt.Errorf("shape has more elements than memory can hold")
		}
		n *= d
	}
	return int(n), nil
}
