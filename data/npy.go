package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/asvit/asvit/atomicfile"
)

// The .npy format (numpy.lib.format): the magic, a major and minor version,
// the header length (2 bytes little-endian in version 1, 4 in version 2),
// the header, a Python dict literal ending in a newline, then the raw
// elements.
const (
	npyMagic = "\x93NUMPY"
	// npyAlign is the multiple of bytes NumPy pads magic and header to.
	npyAlign = 64
	// maxNPYRank bounds the rank of arrays read and written.
	maxNPYRank = 32
)

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
	if len(b) < 10 || string(b[:len(npyMagic)]) != npyMagic {
		return nil, nil, fmt.Errorf("not a valid .npy file: it does not start with the NumPy magic")
	}
	var prefix, n int
	switch b[6] {
	case 1:
		prefix, n = 10, int(binary.LittleEndian.Uint16(b[8:]))
	case 2:
		if len(b) < 12 {
			return nil, nil, fmt.Errorf("not a valid .npy file: it ends inside the header length")
		}
		prefix, n = 12, int(binary.LittleEndian.Uint32(b[8:]))
	default:
		return nil, nil, fmt.Errorf("format version %d.%d is not supported; save with version 1.0 or 2.0", b[6], b[7])
	}
	if n > len(b)-prefix {
		return nil, nil, fmt.Errorf("header length %d exceeds the file (%d bytes)", n, len(b))
	}
	h, err := parseNPYHeader(string(b[prefix : prefix+n]))
	if err != nil {
		return nil, nil, fmt.Errorf("malformed .npy header: %w", err)
	}
	var order binary.ByteOrder
	switch h.descr {
	case "<f4":
		order = binary.LittleEndian
	case ">f4":
		order = binary.BigEndian
	default:
		return nil, nil, fmt.Errorf("dtype '%s' (%s), want float32 ('<f4'); convert with numpy's astype(np.float32)", h.descr, dtypeName(h.descr))
	}
	if h.fortran {
		return nil, nil, fmt.Errorf("array is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)")
	}
	if len(h.shape) > maxNPYRank {
		return nil, nil, fmt.Errorf("rank %d exceeds %d", len(h.shape), maxNPYRank)
	}
	raw := b[prefix+n:]
	elems := 1
	for _, d := range h.shape {
		if d < 0 || (d > 0 && elems > len(b)/d) {
			return nil, nil, fmt.Errorf("shape %v does not fit a file of %d bytes", h.shape, len(b))
		}
		elems *= d
	}
	if 4*elems != len(raw) {
		return nil, nil, fmt.Errorf("shape %v needs %d data bytes, file has %d", h.shape, 4*elems, len(raw))
	}
	data = make([]float32, elems)
	for i := range data {
		data[i] = math.Float32frombits(order.Uint32(raw[4*i:]))
	}
	return h.shape, data, nil
}

// npyHeader is what a .npy header dict says.
type npyHeader struct {
	descr   string // the dtype, such as "<f4"
	fortran bool   // Fortran (column-major) order
	shape   []int  // empty for a scalar
}

// parseNPYHeader parses a header: a Python dict literal with the keys
// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple
// of integers), in any order, as in
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", then
// padding and a newline.
func parseNPYHeader(s string) (npyHeader, error) {
	body, ok := strings.CutSuffix(s, "\n")
	if !ok {
		return npyHeader{}, fmt.Errorf("it does not end in a newline")
	}
	p := &pyLiteral{s: body}
	var h npyHeader
	seen := map[string]bool{}
	if err := p.expect('{'); err != nil {
		return h, err
	}
	for !p.next('}') {
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return h, err
		}
		switch key {
		case "descr":
			h.descr, err = p.str()
		case "fortran_order":
			h.fortran, err = p.boolean()
		case "shape":
			h.shape, err = p.ints()
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return h, err
		}
		if !p.next(',') && !p.peek('}') {
			return h, p.errorf("want ',' or '}'")
		}
	}
	if p.skipSpace(); p.pos != len(p.s) {
		return h, p.errorf("text after the dict")
	}
	if len(seen) != 3 {
		return h, fmt.Errorf("want the keys descr, fortran_order and shape, got %d of them", len(seen))
	}
	return h, nil
}

// pyLiteral scans the few Python literals a .npy header holds.
type pyLiteral struct {
	s   string
	pos int
}

func (p *pyLiteral) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *pyLiteral) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// peek skips spaces and reports whether c comes next.
func (p *pyLiteral) peek(c byte) bool {
	p.skipSpace()
	return p.pos < len(p.s) && p.s[p.pos] == c
}

// next consumes c if it comes next and reports whether it did.
func (p *pyLiteral) next(c byte) bool {
	if !p.peek(c) {
		return false
	}
	p.pos++
	return true
}

func (p *pyLiteral) expect(c byte) error {
	if !p.next(c) {
		return p.errorf("want %q", c)
	}
	return nil
}

// str reads a string in single or double quotes, without escapes.
func (p *pyLiteral) str() (string, error) {
	for _, q := range []byte{'\'', '"'} {
		if p.next(q) {
			n := strings.IndexByte(p.s[p.pos:], q)
			if n < 0 {
				return "", p.errorf("unterminated string")
			}
			v := p.s[p.pos : p.pos+n]
			p.pos += n + 1
			return v, nil
		}
	}
	return "", p.errorf("want a string")
}

func (p *pyLiteral) boolean() (bool, error) {
	p.skipSpace()
	for _, w := range []struct {
		word string
		v    bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.pos:], w.word) {
			p.pos += len(w.word)
			return w.v, nil
		}
	}
	return false, p.errorf("want True or False")
}

// ints reads a tuple of integers: "()", "(5,)", "(2, 3)".
func (p *pyLiteral) ints() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	out := []int{}
	for !p.next(')') {
		end := p.pos
		for end < len(p.s) && (p.s[end] == '-' || '0' <= p.s[end] && p.s[end] <= '9') {
			end++
		}
		v, err := strconv.Atoi(p.s[p.pos:end])
		if err != nil {
			return nil, p.errorf("want an integer")
		}
		out = append(out, v)
		p.pos = end
		if !p.next(',') && !p.peek(')') {
			return nil, p.errorf("want ',' or ')'")
		}
	}
	return out, nil
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
		if _, err := w.Write(npyPrefix(shape)); err != nil {
			return err
		}
		return binary.Write(w, binary.LittleEndian, data)
	})
}

// npyPrefix returns the magic and header of a version 1.0 file holding a
// little-endian float32 array of the given shape (rank ≥ 1), padded as
// NumPy pads it.
func npyPrefix(shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", tuple)
	const prefix = len(npyMagic) + 4 // version and 2-byte length
	pad := (npyAlign - (prefix+len(dict)+1)%npyAlign) % npyAlign
	header := dict + strings.Repeat(" ", pad) + "\n"
	b := append([]byte(npyMagic), 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	return append(b, header...)
}
