package jsonstrip

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Without returns data, one JSON object or JSON lines of objects, with the
// top-level keys removed from every object and each object re-encoded on
// its own line (keys sorted).
func Without(data []byte, keys ...string) ([]byte, error) {
	var out []byte
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("jsonstrip: object %d: %w", bytes.Count(out, []byte("\n"))+1, err)
		}
		for _, k := range keys {
			delete(m, k)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(append(out, b...), '\n')
	}
	return out, nil
}
