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

// ReadLogKinds reads dir's log.jsonl, whose records name their kind in a
// "kind" field, and hands each complete record, in order, to the decoder
// of its kind. A record of a kind without a decoder, or one its decoder
// refuses, fails with the file and the line number.
func ReadLogKinds(dir string, decoders map[string]func(json.RawMessage) error) error {
	lines, err := ReadLog[json.RawMessage](dir)
	if err != nil {
		return err
	}
	for i, line := range lines {
		var head struct {
			Kind string `json:"kind"`
		}
		err := json.Unmarshal(line, &head)
		if err == nil {
			if decode, ok := decoders[head.Kind]; ok {
				err = decode(line)
			} else {
				err = fmt.Errorf("unknown kind %q", head.Kind)
			}
		}
		if err != nil {
			return fmt.Errorf("%s line %d: %w", filepath.Join(dir, LogFile), i+1, err)
		}
	}
	return nil
}

// Into returns a decoder for ReadLogKinds that appends each record, as a
// T, to *dst.
func Into[T any](dst *[]T) func(json.RawMessage) error {
	return func(line json.RawMessage) error {
		var rec T
		if err := json.Unmarshal(line, &rec); err != nil {
			return err
		}
		*dst = append(*dst, rec)
		return nil
	}
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
