package runs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ReadLog decodes every complete line of dir's log.jsonl as a T, in order.
// A last line without its newline (a write cut short by a crash) is left
// out. A line that does not decode fails with its line number.
func ReadLog[T any](dir string) ([]T, error) {
	path := filepath.Join(dir, LogFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeLog[T](f, path)
}

func decodeLog[T any](r io.Reader, name string) ([]T, error) {
	br := bufio.NewReader(r)
	var out []T
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return out, nil // an unterminated last line is a cut write
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var rec T
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: line %d: more than one JSON value", name, n)
		}
		out = append(out, rec)
	}
}
