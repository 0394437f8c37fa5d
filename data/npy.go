package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/asvit/asvit/atomicfile"
)

// maxNPYRank bounds the rank of arrays read and written.
const maxNPYRank = 32

// ReadNPYFloat32 reads a NumPy .npy file holding a C-ordered float32 array
// and returns its shape (empty for a scalar) and elements.
func ReadNPYFloat32(path string) (shape []int, data []float32, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	shape, data, err = decodeNPYFloat32(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return shape, data, nil
}

// decodeNPYFloat32 decodes the contents of a .npy file.
func decodeNPYFloat32(b []byte) (shape []int, data []float32, err error) {
	defer func() {
		// npyio indexes into the header without checking it everywhere.
		if p := recover(); p != nil {
			shape, data, err = nil, nil, fmt.Errorf("malformed .npy header (%v)", p)
		}
	}()
	if err := checkNPYHeaderLength(b); err != nil {
		return nil, nil, err
	}
	in := bytes.NewReader(b)
	r, err := npy.NewReader(in)
	if err != nil {
		return nil, nil, fmt.Errorf("not a valid .npy file: %w", err)
	}
	d := r.Header.Descr
	switch dtype := strings.Trim(d.Type, `'"`); {
	case dtype != "<f4" && dtype != ">f4":
		return nil, nil, fmt.Errorf("dtype %s (%s), want float32 ('<f4'); convert with numpy's astype(np.float32)", d.Type, dtypeName(dtype))
	case d.Fortran:
		return nil, nil, fmt.Errorf("array is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)")
	case len(d.Shape) > maxNPYRank:
		return nil, nil, fmt.Errorf("rank %d exceeds %d", len(d.Shape), maxNPYRank)
	}
	n := 1
	for _, dim := range d.Shape {
		if dim < 0 || (dim > 0 && n > len(b)/dim) {
			return nil, nil, fmt.Errorf("shape %v does not fit a file of %d bytes", d.Shape, len(b))
		}
		n *= dim
	}
	if 4*n != in.Len() {
		return nil, nil, fmt.Errorf("shape %v needs %d data bytes, file has %d", d.Shape, 4*n, in.Len())
	}
	data = make([]float32, n)
	if n > 0 {
		if err := r.Read(&data); err != nil {
			return nil, nil, fmt.Errorf("reading data: %w", err)
		}
	}
	return append([]int{}, d.Shape...), data, nil
}

// checkNPYHeaderLength checks that the header length a .npy file declares
// fits in the file, before npyio allocates that much.
func checkNPYHeaderLength(b []byte) error {
	const magic = "\x93NUMPY"
	if len(b) < 12 || string(b[:len(magic)]) != magic {
		return fmt.Errorf("not a valid .npy file: it does not start with the NumPy magic")
	}
	var prefix, n int
	switch b[6] {
	case 1:
		prefix, n = 10, int(binary.LittleEndian.Uint16(b[8:]))
	case 2:
		prefix, n = 12, int(binary.LittleEndian.Uint32(b[8:]))
	default:
		return fmt.Errorf("format version %d.%d is not supported; save with version 1.0 or 2.0", b[6], b[7])
	}
	if n > len(b)-prefix {
		return fmt.Errorf("header length %d exceeds the file (%d bytes)", n, len(b))
	}
	return nil
}

// dtypeName names common NumPy type strings for error messages.
func dtypeName(dtype string) string {
	names := map[string]string{"f2": "float16", "f8": "float64", "i1": "int8", "i2": "int16",
		"i4": "int32", "i8": "int64", "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "b1": "bool"}
	if len(dtype) == 3 {
		if name, ok := names[dtype[1:]]; ok {
			return name
		}
	}
	return "unsupported"
}

// WriteNPYFloat32 writes data, a C-ordered array of the given shape, to a
// NumPy .npy file at path, atomically. Every dimension must be at least 1.
func WriteNPYFloat32(path string, shape []int, data []float32) error {
	if len(shape) == 0 || len(shape) > maxNPYRank {
		return fmt.Errorf("%s: rank %d is not allowed; use 1..%d", path, len(shape), maxNPYRank)
	}
	n := 1
	for i, d := range shape {
		if d < 1 || n > len(data)/d {
			return fmt.Errorf("%s: shape %v does not match %d elements (dimension %d is %d)", path, shape, len(data), i, d)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("%s: shape %v holds %d elements, data has %d", path, shape, n, len(data))
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return npy.Write(w, nested(data, shape).Interface())
	})
}

// nested views data as nested slices of the given shape ([][]…[]float32),
// which npyio writes with that shape. The innermost slices alias data.
func nested(data []float32, shape []int) reflect.Value {
	if len(shape) == 1 {
		return reflect.ValueOf(data)
	}
	step := len(data) / shape[0]
	var out reflect.Value
	for i := range shape[0] {
		v := nested(data[i*step:(i+1)*step], shape[1:])
		if i == 0 {
			out = reflect.MakeSlice(reflect.SliceOf(v.Type()), shape[0], shape[0])
		}
		out.Index(i).Set(v)
	}
	return out
}
