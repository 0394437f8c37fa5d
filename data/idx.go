package data

import (
	"encoding/binary"
	"fmt"
)

// IDX files start with two zero bytes, the element type and the rank, then one
// big-endian uint32 per dimension, then the elements in row-major order.
const idxUnsignedByte = 0x08

// idxTypeNames names the element types of the IDX format, for error messages.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// maxIDXElems bounds the element count a header may declare (16 GiB of bytes).
const maxIDXElems = 1 << 34

// parseIDX parses an IDX file of unsigned bytes with the given rank. The
// returned elements alias b.
func parseIDX(b []byte, rank int) (dims []int, elems []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("file of %d bytes is too short for an IDX header", len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, fmt.Errorf("bad magic % x: an IDX file starts with two zero bytes", b[:4])
	}
	if b[2] != idxUnsignedByte {
		name, ok := idxTypeNames[b[2]]
		if !ok {
			name = "unknown"
		}
		return nil, nil, fmt.Errorf("element type 0x%02x (%s) is not supported, only unsigned bytes (0x08)", b[2], name)
	}
	if int(b[3]) != rank {
		return nil, nil, fmt.Errorf("rank %d, want %d", b[3], rank)
	}
	head := 4 + 4*rank
	if len(b) < head {
		return nil, nil, fmt.Errorf("truncated header: %d bytes, want %d", len(b), head)
	}
	dims = make([]int, rank)
	total := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
		if dims[i] == 0 {
			return nil, nil, fmt.Errorf("dimension %d is zero", i)
		}
		if total > maxIDXElems/dims[i] {
			return nil, nil, fmt.Errorf("dimensions %v exceed %d elements", dims, maxIDXElems)
		}
		total *= dims[i]
	}
	switch body := len(b) - head; {
	case body < total:
		return nil, nil, fmt.Errorf("truncated: dimensions %v need %d bytes of data, file has %d", dims, total, body)
	case body > total:
		return nil, nil, fmt.Errorf("%d bytes of trailing data after the %d declared by dimensions %v", body-total, total, dims)
	}
	return dims, b[head:], nil
}
