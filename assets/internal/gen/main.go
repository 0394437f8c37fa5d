// Command gen cuts the embedded Fashion-MNIST sample from the full data set: the
// first -train training and -test test items of each IDX file, written gzipped
// under the standard names. Run it through go generate in the assets package.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	src := flag.String("src", "/usr/share/datasets/fashion-mnist", "directory holding the full gzipped IDX files")
	dst := flag.String("dst", "fashion-mnist", "directory to write the sample to")
	train := flag.Int("train", 2000, "training items to keep")
	test := flag.Int("test", 500, "test items to keep")
	flag.Parse()
	keep := map[string]int{
		"train-images-idx3-ubyte.gz": *train,
		"train-labels-idx1-ubyte.gz": *train,
		"t10k-images-idx3-ubyte.gz":  *test,
		"t10k-labels-idx1-ubyte.gz":  *test,
	}
	for name, n := range keep {
		if err := cutFile(filepath.Join(*src, name), filepath.Join(*dst, name), n); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// cutFile writes the first n items of the gzipped IDX file src to dst, gzipped.
func cutFile(src, dst string, n int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	full, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	part, err := cut(full, n)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(part); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(dst, out.Bytes())
}

// writeAtomic writes b to a temporary file beside path, syncs it and renames it
// over path.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// cut keeps the first n items of an IDX file. The header is a 4-byte magic whose
// last byte is the rank, then one big-endian uint32 per dimension, the first
// being the item count.
func cut(b []byte, n int) ([]byte, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("too short for an IDX header")
	}
	rank := int(b[3])
	head := 4 + 4*rank
	if rank < 1 || len(b) < head {
		return nil, fmt.Errorf("bad IDX rank %d", rank)
	}
	count := int(binary.BigEndian.Uint32(b[4:]))
	if n < 0 || n > count {
		return nil, fmt.Errorf("asked for %d items, file has %d", n, count)
	}
	item := 1
	for d := 1; d < rank; d++ {
		item *= int(binary.BigEndian.Uint32(b[4+4*d:]))
	}
	if len(b) != head+count*item {
		return nil, fmt.Errorf("size %d does not match header (%d items of %d bytes)", len(b), count, item)
	}
	out := append([]byte(nil), b[:head+n*item]...)
	binary.BigEndian.PutUint32(out[4:], uint32(n))
	return out, nil
}
