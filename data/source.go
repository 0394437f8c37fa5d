package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// source is a dataset directory inside a file system.
type source struct {
	fsys  fs.FS
	dir   string // directory inside fsys
	label string // how error messages name dir
	hint  string // path whose last two elements may name the data set
}

// path returns the fsys path of name.
func (s source) path(name string) string { return path.Join(s.dir, name) }

// show returns how error messages name the file name.
func (s source) show(name string) string { return filepath.Join(s.label, filepath.FromSlash(name)) }

// exists reports whether name is a regular file.
func (s source) exists(name string) bool {
	info, err := fs.Stat(s.fsys, s.path(name))
	return err == nil && info.Mode().IsRegular()
}

// first returns the first of names that exists, or "" when none does.
func (s source) first(names ...string) string {
	for _, n := range names {
		if s.exists(n) {
			return n
		}
	}
	return ""
}

// hintsFashion reports whether the directory or its parent has "fashion" in
// its name.
func (s source) hintsFashion() bool {
	p := filepath.ToSlash(filepath.Clean(s.hint))
	base := path.Base(p)
	parent := path.Base(path.Dir(p))
	return strings.Contains(strings.ToLower(base+"/"+parent), "fashion")
}

// readAll returns the contents of name, gunzipped when it starts with the gzip
// magic, whatever its suffix.
func (s source) readAll(name string) ([]byte, error) {
	f, err := s.fsys.Open(s.path(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.show(name), err)
	}
	defer f.Close()
	var size int64
	if info, err := f.Stat(); err == nil {
		size = info.Size()
	}
	b, err := readMaybeGzip(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.show(name), err)
	}
	return b, nil
}

// readMaybeGzip reads r to its end, gunzipping it when it starts with the gzip
// magic. size is the stored size when known (0 if not); it only sizes buffers.
func readMaybeGzip(r io.Reader, size int64) ([]byte, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip header: %w", err)
		}
		defer zr.Close()
		in, size = zr, 2*size // a first guess; the buffer grows as needed
	}
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<30)) + bytes.MinRead)
	if _, err := buf.ReadFrom(in); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) {
			return nil, fmt.Errorf("damaged or truncated gzip stream: %w", err)
		}
		return nil, err
	}
	return buf.Bytes(), nil
}
