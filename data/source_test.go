package data

import (
	"bytes"
	"testing"
)

// readMaybeGzip gives back what the standard library's gzip writer wrote,
// passes other bytes through unchanged, and fails on a broken stream
// (a gzip magic without a valid member) instead of panicking.
func FuzzReadMaybeGzip(f *testing.F) {
	f.Add([]byte("plain bytes"), true)
	f.Add([]byte("plain bytes"), false)
	f.Add([]byte{}, true)
	f.Add([]byte{0x1f, 0x8b, 8, 0, 1, 2}, false)
	f.Fuzz(func(t *testing.T, b []byte, zip bool) {
		in := b
		if zip {
			in = gzipBytes(t, b)
		}
		got, err := readMaybeGzip(bytes.NewReader(in), int64(len(in)))
		isGzip := len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b
		switch {
		case zip && (err != nil || !bytes.Equal(got, b)):
			t.Fatalf("gzip round trip of %d bytes: %d bytes back, err %v", len(b), len(got), err)
		case !zip && !isGzip && (err != nil || !bytes.Equal(got, b)):
			t.Fatalf("plain %d bytes: %d bytes back, err %v", len(b), len(got), err)
		}
	})
}
