package coco

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/asvit/asvit/atomicfile"
)

// The wire forms of the JSON entries. Pointer fields tell a missing or null
// key from a zero value.
type (
	wireImage struct {
		ID       *int64  `json:"id"`
		FileName *string `json:"file_name"`
		Width    *int    `json:"width"`
		Height   *int    `json:"height"`
	}
	wireAnnotation struct {
		ID         *int64     `json:"id"`
		ImageID    *int64     `json:"image_id"`
		CategoryID *int64     `json:"category_id"`
		BBox       *[]float64 `json:"bbox"`
		Area       *float64   `json:"area"`
		IsCrowd    *int       `json:"iscrowd"`
	}
	wireCategory struct {
		ID            *int64  `json:"id"`
		Name          *string `json:"name"`
		Supercategory *string `json:"supercategory,omitempty"`
	}
	wireDetection struct {
		ImageID    *int64     `json:"image_id"`
		CategoryID *int64     `json:"category_id"`
		BBox       *[]float64 `json:"bbox"`
		Score      *float64   `json:"score"`
	}
)

// Read reads and validates the COCO instances file at path.
func Read(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads and validates a COCO instances file from r; name stands for
// it in errors.
func Decode(r io.Reader, name string) (*Dataset, error) {
	var top struct {
		Images      *[]json.RawMessage `json:"images"`
		Annotations *[]json.RawMessage `json:"annotations"`
		Categories  *[]json.RawMessage `json:"categories"`
	}
	if err := decodeAll(r, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, k := range []key{{"images", top.Images != nil}, {"annotations", top.Annotations != nil},
		{"categories", top.Categories != nil}} {
		if !k.present {
			return nil, fmt.Errorf("%s: missing key %q (or it is null)", name, k.name)
		}
	}
	d := &Dataset{
		Images:      make([]Image, len(*top.Images)),
		Annotations: make([]Annotation, len(*top.Annotations)),
		Categories:  make([]Category, len(*top.Categories)),
	}
	for i, raw := range *top.Images {
		var w wireImage
		if err := decodeEntry(raw, &w, name, "images", i); err != nil {
			return nil, err
		}
		if err := checkKeys(name, "images", i, w.ID, key{"file_name", w.FileName != nil},
			key{"width", w.Width != nil}, key{"height", w.Height != nil}); err != nil {
			return nil, err
		}
		d.Images[i] = Image{ID: *w.ID, FileName: *w.FileName, Width: *w.Width, Height: *w.Height}
	}
	for i, raw := range *top.Categories {
		var w wireCategory
		if err := decodeEntry(raw, &w, name, "categories", i); err != nil {
			return nil, err
		}
		if err := checkKeys(name, "categories", i, w.ID, key{"name", w.Name != nil}); err != nil {
			return nil, err
		}
		c := Category{ID: *w.ID, Name: *w.Name}
		if w.Supercategory != nil {
			c.Supercategory = *w.Supercategory
		}
		d.Categories[i] = c
	}
	for i, raw := range *top.Annotations {
		var w wireAnnotation
		if err := decodeEntry(raw, &w, name, "annotations", i); err != nil {
			return nil, err
		}
		if err := checkKeys(name, "annotations", i, w.ID, key{"image_id", w.ImageID != nil},
			key{"category_id", w.CategoryID != nil}, key{"bbox", w.BBox != nil},
			key{"area", w.Area != nil}, key{"iscrowd", w.IsCrowd != nil}); err != nil {
			return nil, err
		}
		at := fmt.Sprintf("%s: annotations[%d] (id %d)", name, i, *w.ID)
		switch *w.IsCrowd {
		case 0:
		case 1:
			return nil, fmt.Errorf("%s: iscrowd is 1; crowd annotations are not supported", at)
		default:
			return nil, fmt.Errorf("%s: iscrowd is %d; want 0", at, *w.IsCrowd)
		}
		box, err := boxOf(*w.BBox)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		d.Annotations[i] = Annotation{ID: *w.ID, ImageID: *w.ImageID, CategoryID: *w.CategoryID, BBox: box, Area: *w.Area}
	}
	if err := d.Validate(name); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeAll decodes the single JSON value that r holds into v.
func decodeAll(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the top-level JSON value")
	}
	return nil
}

// jsonError rewords the JSON decoder's errors that are terse on their own.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
	case errors.As(err, &typ):
		want := jsonKind(typ.Type.Kind().String())
		got := typ.Value
		if strings.HasPrefix(got, "number") && want == "a number" {
			got, want = got+" (out of range)", "a finite number"
		} else if !strings.HasPrefix(got, "number") {
			got = article(got)
		}
		if typ.Field == "" {
			return fmt.Errorf("%s where %s was expected", got, want)
		}
		return fmt.Errorf("key %q: %s where %s was expected", typ.Field, got, want)
	case errors.Is(err, io.EOF):
		return errors.New("empty file; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated JSON")
	}
	return err
}

// jsonKind names, with its article, the JSON value a Go kind decodes from.
func jsonKind(k string) string {
	switch k {
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return k
}

// article puts "a" or "an" before a JSON kind.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// decodeEntry decodes entry i of list key into w.
func decodeEntry(raw json.RawMessage, w any, name, key string, i int) error {
	if err := json.Unmarshal(raw, w); err != nil {
		return fmt.Errorf("%s: %s[%d]: %w", name, key, i, jsonError(err))
	}
	return nil
}

// key is a required key of an entry and whether the entry has it.
type key struct {
	name    string
	present bool
}

// checkKeys reports the first absent key of entry i of list. The id comes
// apart, so that the error can name it when present.
func checkKeys(name, list string, i int, id *int64, keys ...key) error {
	at := fmt.Sprintf("%s: %s[%d]", name, list, i)
	if id == nil {
		return fmt.Errorf("%s: missing key \"id\" (or it is null)", at)
	}
	for _, k := range keys {
		if !k.present {
			return fmt.Errorf("%s (id %d): missing key %q (or it is null)", at, *id, k.name)
		}
	}
	return nil
}

// boxOf converts a JSON bbox list.
func boxOf(v []float64) (Box, error) {
	if len(v) != 4 {
		return Box{}, fmt.Errorf("bbox has %d values; want 4 ([x, y, w, h])", len(v))
	}
	return Box{v[0], v[1], v[2], v[3]}, nil
}

// Write validates d and writes it to path as a COCO instances file,
// atomically.
func Write(path string, d *Dataset) error {
	if err := d.Validate(path); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return encode(w, d) })
}

// Encode validates d and writes it to w as a COCO instances file: one entry
// per line, in the order of d's lists, so equal sets give equal bytes.
func Encode(w io.Writer, d *Dataset) error {
	if err := d.Validate("dataset"); err != nil {
		return err
	}
	return encode(w, d)
}

func encode(w io.Writer, d *Dataset) error {
	var b bytes.Buffer
	b.WriteString("{\"images\": [")
	for i, im := range d.Images {
		writeEntry(&b, i, wireImage{&im.ID, &im.FileName, &im.Width, &im.Height})
	}
	b.WriteString("\n],\n\"annotations\": [")
	zero := 0
	for i, a := range d.Annotations {
		bb := []float64{a.BBox.X, a.BBox.Y, a.BBox.W, a.BBox.H}
		writeEntry(&b, i, wireAnnotation{&a.ID, &a.ImageID, &a.CategoryID, &bb, &a.Area, &zero})
	}
	b.WriteString("\n],\n\"categories\": [")
	for i, c := range d.Categories {
		wc := wireCategory{ID: &c.ID, Name: &c.Name}
		if c.Supercategory != "" {
			wc.Supercategory = &c.Supercategory
		}
		writeEntry(&b, i, wc)
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeEntry appends entry i of a list on a line of its own.
func writeEntry(b *bytes.Buffer, i int, v any) {
	if i > 0 {
		b.WriteByte(',')
	}
	b.WriteByte('\n')
	line, err := json.Marshal(v)
	if err != nil {
		// Only non-finite floats fail to marshal, and Validate rejects them.
		panic(fmt.Sprintf("coco: marshal %T: %v", v, err))
	}
	b.Write(line)
}
