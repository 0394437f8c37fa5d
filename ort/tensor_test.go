package ort

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNewTensorSharesStorage(t *testing.T) {
	initORT(t)
	data := []float32{1, 2, 3, 4, 5, 6}
	x, err := NewFloat32([]int64{2, 3}, data)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	if got := x.Shape(); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("shape %v, want [2 3]", got)
	}
	if x.DataType() != Float32 || x.String() != "float32 [2 3]" {
		t.Errorf("type %v, description %q", x.DataType(), x.String())
	}
	if s := x.Float32s(); &s[0] != &data[0] || len(s) != 6 {
		t.Error("Float32s is not the slice the tensor was built on")
	}
	x.Shape()[0] = 99
	if x.Shape()[0] != 2 {
		t.Error("Shape returned the tensor's own slice")
	}
}

func TestTensorTypes(t *testing.T) {
	initORT(t)
	shape := []int64{2, 2}
	f64, err1 := NewFloat64(shape, []float64{1, 2, 3, 4})
	i64, err2 := NewInt64(shape, []int64{-1, 0, 1, 1 << 40})
	b, err3 := NewBool(shape, []bool{true, false, false, true})
	tensors := []*Tensor{f64, i64, b}
	defer DestroyAll(tensors)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f64.DataType() != Float64 || f64.Float64s()[3] != 4 {
		t.Errorf("float64 tensor: %v %v", f64, f64.Float64s())
	}
	if i64.DataType() != Int64 || i64.Int64s()[3] != 1<<40 {
		t.Errorf("int64 tensor: %v %v", i64, i64.Int64s())
	}
	if b.DataType() != Bool || !b.Bools()[0] || b.Bools()[1] {
		t.Errorf("bool tensor: %v %v", b, b.Bools())
	}
}

func TestZeros(t *testing.T) {
	initORT(t)
	shape := []int64{3, 1, 2}
	makers := map[DataType]func([]int64) (*Tensor, error){
		Float32: ZerosFloat32, Float64: ZerosFloat64, Int64: ZerosInt64, Bool: ZerosBool,
	}
	for dt, zeros := range makers {
		x, err := zeros(shape)
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		var n int
		var zero bool
		switch dt {
		case Float32:
			n, zero = len(x.Float32s()), allZero(x.Float32s())
		case Float64:
			n, zero = len(x.Float64s()), allZero(x.Float64s())
		case Int64:
			n, zero = len(x.Int64s()), allZero(x.Int64s())
		case Bool:
			n, zero = len(x.Bools()), allZero(x.Bools())
		}
		if x.DataType() != dt || !slices.Equal(x.Shape(), shape) || n != 6 || !zero {
			t.Errorf("%v zeros: got %v, not six zeros", dt, x)
		}
		x.Destroy()
	}
}

func allZero[T comparable](s []T) bool {
	var zero T
	return !slices.ContainsFunc(s, func(v T) bool { return v != zero })
}

func TestTensorErrors(t *testing.T) {
	initORT(t)
	tests := []struct {
		shape []int64
		n     int
		want  string
	}{
		{[]int64{2, 3}, 5, "new float32 tensor [2 3]: shape needs 6 values, got 5"},
		{[]int64{2, 3}, 7, "shape needs 6 values, got 7"},
		{[]int64{2, -3}, 0, "dimension 1 is -3; dimensions must be >= 0"},
		{[]int64{1 << 31, 1 << 31, 4}, 0, "more elements than memory can hold"},
		{[]int64{}, 0, "shape needs 1 values, got 0"},
	}
	for _, tc := range tests {
		_, err := NewFloat32(tc.shape, make([]float32, tc.n))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewFloat32(%v, %d values): error %v, want %q", tc.shape, tc.n, err, tc.want)
		}
	}
	if _, err := ZerosInt64([]int64{math.MaxInt64, 2}); err == nil {
		t.Error("ZerosInt64 accepted an overflowing shape")
	}
	if _, err := zerosOf(DataType(10), []int64{1}); err == nil || !strings.Contains(err.Error(), "float16") {
		t.Errorf("zerosOf(float16) error %v, want one naming float16", err)
	}
}

func TestScalarAndEmptyTensors(t *testing.T) {
	initORT(t)
	s, err := NewFloat64(nil, []float64{2.5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	if shape := s.Shape(); shape == nil || len(shape) != 0 || s.Float64s()[0] != 2.5 {
		t.Errorf("scalar: shape %#v, data %v", shape, s.Float64s())
	}
	e, err := NewFloat32([]int64{0, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	if len(e.Float32s()) != 0 || !slices.Equal(e.Shape(), []int64{0, 3}) {
		t.Errorf("empty tensor: %v with %d values", e, len(e.Float32s()))
	}
}

func TestDestroyAndMisuse(t *testing.T) {
	initORT(t)
	var nilTensor *Tensor
	nilTensor.Destroy()
	DestroyAll([]*Tensor{nil, nil})

	x, err := ZerosFloat32([]int64{2})
	if err != nil {
		t.Fatal(err)
	}
	wantPanic(t, "ort: float64 data asked of a float32 tensor", func() { x.Float64s() })
	x.Destroy()
	x.Destroy()
	if x.String() != "destroyed tensor" {
		t.Errorf("destroyed tensor describes itself as %q", x)
	}
	wantPanic(t, "ort: float32 data of a destroyed tensor", func() { x.Float32s() })
}

func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r != want {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	f()
}

func BenchmarkNewFloat32(b *testing.B) {
	initORT(b)
	data := make([]float32, 3*224*224)
	shape := []int64{1, 3, 224, 224}
	for b.Loop() {
		x, err := NewFloat32(shape, data)
		if err != nil {
			b.Fatal(err)
		}
		x.Destroy()
	}
}
