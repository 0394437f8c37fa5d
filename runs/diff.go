package runs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// diffs lists settings that differ between a stored and a given config.
type diffs []string

func (d diffs) String() string { return strings.Join(d, ", ") }

// diffJSON compares two JSON documents key by key. Nested objects are
// flattened to dotted keys; every other value is compared as compact JSON
// text, so numbers must be written alike (they are, when both come from
// encoding/json). Keys that free covers (see [Kind]) are left out. Each
// difference reads "key (run X, given Y)".
func diffJSON(stored, given []byte, free []string) (diffs, error) {
	a, err := flatten(stored)
	if err != nil {
		return nil, err
	}
	b, err := flatten(given)
	if err != nil {
		return nil, err
	}
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out diffs
	for _, k := range keys {
		va, okA := a[k]
		vb, okB := b[k]
		if okA && okB && va == vb || covers(free, k) {
			continue
		}
		out = append(out, fmt.Sprintf("%s (run %s, given %s)", k, orAbsent(va, okA), orAbsent(vb, okB)))
	}
	return out, nil
}

// covers reports whether key is one of free or lies under one of them.
func covers(free []string, key string) bool {
	return slices.ContainsFunc(free, func(f string) bool {
		return key == f || strings.HasPrefix(key, f+".")
	})
}

func orAbsent(v string, ok bool) string {
	if !ok {
		return "absent"
	}
	return v
}

// flatten maps each leaf of a JSON document to its compact text.
func flatten(doc []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out := map[string]string{}
	return out, flattenInto(out, "", v)
}

func flattenInto(out map[string]string, prefix string, v any) error {
	if obj, ok := v.(map[string]any); ok && len(obj) > 0 {
		for k, child := range obj {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if err := flattenInto(out, key, child); err != nil {
				return err
			}
		}
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if prefix == "" {
		prefix = "(config)"
	}
	out[prefix] = string(b)
	return nil
}
