package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyFile builds a version 1.0 .npy file by the format's definition: magic,
// version, little-endian header length, a dict padded with spaces and a
// newline to a multiple of 64 bytes, then the raw data.
func npyFile(descr string, fortran bool, shape string, data []byte) []byte {
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, shape)
	total := 10 + len(dict) + 1
	dict += strings.Repeat(" ", (64-total%64)%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
	return append(append(b, dict...), data...)
}

func float32Bytes(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func TestReadNPYFloat32HandMadeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	writeFile(t, path, npyFile("<f4", false, "(2, 3)", float32Bytes(1, 2, 3, 4, 5, -6.5)))
	shape, data, err := ReadNPYFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{2, 3}) || !slices.Equal(data, []float32{1, 2, 3, 4, 5, -6.5}) {
		t.Fatalf("got shape %v data %v", shape, data)
	}
	writeFile(t, path, npyFile(">f4", false, "(1,)", []byte{0x3f, 0x80, 0, 0})) // big-endian 1.0
	if shape, data, err = ReadNPYFloat32(path); err != nil || len(shape) != 1 || !slices.Equal(data, []float32{1}) {
		t.Fatalf("big-endian file: shape %v data %v err %v", shape, data, err)
	}
}

func TestReadNPYFloat32Rejects(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"float64", npyFile("<f8", false, "(2,)", make([]byte, 16)), "float64"},
		{"int32", npyFile("<i4", false, "(2,)", make([]byte, 8)), "int32"},
		{"fortran", npyFile("<f4", true, "(2, 2)", make([]byte, 16)), "Fortran order"},
		{"short data", npyFile("<f4", false, "(2, 3)", make([]byte, 20)), "needs 24 data bytes, file has 20"},
		{"negative dimension", npyFile("<f4", false, "(-1,)", nil), "shape [-1]"},
		{"not npy", []byte("PK\x03\x04 a zip file"), "not a valid .npy file"},
		{"header longer than file", []byte("\x93NUMPY\x02\x00\x05\x00\x00\x32{}"), "exceeds the file"},
		{"version 3", []byte("\x93NUMPY\x03\x00\x05\x00\x00\x00{}"), "version 3.0"},
		{"header without newline", []byte("\x93NUMPY\x01\x00\x04\x00abcd"), "malformed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.npy")
			writeFile(t, path, c.b)
			_, _, err := ReadNPYFloat32(path)
			mustContain(t, err, path, c.want)
		})
	}
}

// TestReadNPYFloat32HeaderForms reads headers that other writers may
// produce: any key order, double quotes, no trailing comma, version 2.0.
func TestReadNPYFloat32HeaderForms(t *testing.T) {
	file := func(version byte, dict string) []byte {
		dict += "\n"
		b := append([]byte("\x93NUMPY"), version, 0)
		if version == 1 {
			b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
		} else {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
		}
		return append(append(b, dict...), float32Bytes(1, 2)...)
	}
	for _, b := range [][]byte{
		file(1, `{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}`),
		file(1, `{"descr": "<f4", "fortran_order": False, "shape": (2,)}`),
		file(1, `{'descr':'<f4','fortran_order':False,'shape':(2,),}   `),
		file(1, `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }`),
		file(2, `{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }          `),
	} {
		shape, got, err := decodeNPYFloat32(b)
		if err != nil || shape[len(shape)-1] != 2 || !slices.Equal(got, []float32{1, 2}) {
			t.Errorf("%q: shape %v data %v err %v", b, shape, got, err)
		}
	}
}

func TestParseNPYHeaderRejects(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"{'descr': '<f4', 'fortran_order': False}\n", "got 2 of them"},
		{"{'descr': '<f4', 'descr': '<f4'}\n", "appears twice"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", `unknown key "x"`},
		{"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}\n", "want True or False"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}\n", "want ',' or ')'"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2L,)}\n", "want ',' or ')'"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}\n", "want an integer"},
		{"{'descr' '<f4'}\n", "want ':'"},
		{"{'descr': '<f4' 'fortran_order': False}\n", "want ',' or '}'"},
		{"{'descr: 1}\n", "unterminated string"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n", "text after the dict"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "newline"},
	} {
		_, err := parseNPYHeader(c.header)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.header, err, c.want)
		}
	}
	b := npyFile("<f4", false, "("+strings.Repeat("1, ", 33)+")", float32Bytes(1))
	if _, _, err := decodeNPYFloat32(b); err == nil || !strings.Contains(err.Error(), "rank 33 exceeds 32") {
		t.Errorf("rank 33: error %v", err)
	}
}

func TestWriteNPYFloat32RoundTripsAndIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	writeFile(t, path, []byte("old contents"))
	for _, shape := range [][]int{{5}, {2, 3}, {2, 1, 3, 2}, {1, 1, 1, 1, 1, 7}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.5 - 3
		}
		if err := WriteNPYFloat32(path, shape, data); err != nil {
			t.Fatal(err)
		}
		gotShape, got, err := ReadNPYFloat32(path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotShape, shape) || !slices.Equal(got, data) {
			t.Fatalf("shape %v: read back shape %v data %v", shape, gotShape, got)
		}
	}
	// The header follows the format: shape as a Python tuple, C order, the
	// data aligned to 64 bytes as NumPy aligns it.
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b[:128]), "'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 7)") {
		t.Errorf("header %q", b[:128])
	}
	if data := len(b) - 4*7; data%64 != 0 || b[data-1] != '\n' {
		t.Errorf("data starts at byte %d after %q, want a multiple of 64 after a newline", data, b[data-1])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only x.npy (no temporary files)", len(entries))
	}
}

func TestWriteNPYFloat32RejectsBadShapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	for _, c := range []struct {
		shape []int
		n     int
		want  string
	}{
		{nil, 1, "rank 0"},
		{[]int{2, 3}, 5, "shape [2 3]"},
		{[]int{0, 3}, 0, "dimension 0 is 0"},
		{make([]int, 33), 1, "rank 33"},
	} {
		err := WriteNPYFloat32(path, c.shape, make([]float32, c.n))
		mustContain(t, err, c.want)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a rejected write left a file")
	}
	mustContain(t, WriteNPYFloat32(filepath.Join(t.TempDir(), "no", "such", "dir.npy"), []int{1}, []float32{1}), "no such")
}

func FuzzDecodeNPYFloat32(f *testing.F) {
	f.Add(npyFile("<f4", false, "(2, 3)", float32Bytes(1, 2, 3, 4, 5, 6)))
	f.Add(npyFile("<f4", false, "()", float32Bytes(1)))
	f.Add(npyFile("<f8", false, "(1,)", make([]byte, 8)))
	f.Add(npyFile(">f4", false, "(1,)", []byte{0x3f, 0x80, 0, 0}))
	f.Add([]byte("\x93NUMPY\x02\x00\x05\x00\x00\x00{}}}\n"))
	f.Add([]byte("\x93NUMPY\x020\x05\x00\x002")) // declares an 838 MB header
	f.Fuzz(func(t *testing.T, b []byte) {
		shape, data, err := decodeNPYFloat32(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("shape %v but %d elements", shape, len(data))
		}
	})
}

// FuzzParseNPYHeader checks that the header parser never panics and that
// a header WriteNPYFloat32 would write for a parsed shape parses back to it.
func FuzzParseNPYHeader(f *testing.F) {
	f.Add("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n")
	f.Add(`{"shape": (), "descr": ">f4", "fortran_order": True}` + "\n")
	f.Add("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 99999999999999999999), }\n")
	f.Add("{'descr': '<f4', 'descr': 'x', 'shape': ((2,),)}\n")
	f.Fuzz(func(t *testing.T, header string) {
		h, err := parseNPYHeader(header)
		if err != nil || len(h.shape) == 0 || len(h.shape) > maxNPYRank || slices.Min(h.shape) < 1 {
			return
		}
		prefix := npyPrefix(h.shape)
		if len(prefix)%64 != 0 {
			t.Fatalf("shape %v: prefix of %d bytes, want a multiple of 64", h.shape, len(prefix))
		}
		again, err := parseNPYHeader(string(prefix[10:]))
		if err != nil || again.descr != "<f4" || again.fortran || !slices.Equal(again.shape, h.shape) {
			t.Fatalf("shape %v: written header %q reads back as %+v, %v", h.shape, prefix[10:], again, err)
		}
	})
}

func BenchmarkWriteNPYFloat32Batch(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.npy")
	data := make([]float32, 16*3*32*32)
	b.SetBytes(int64(4 * len(data)))
	for b.Loop() {
		if err := WriteNPYFloat32(path, []int{16, 3, 32, 32}, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNPYFloat32Batch(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.npy")
	data := make([]float32, 16*3*32*32)
	if err := WriteNPYFloat32(path, []int{16, 3, 32, 32}, data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * len(data)))
	for b.Loop() {
		if _, _, err := ReadNPYFloat32(path); err != nil {
			b.Fatal(err)
		}
	}
}
