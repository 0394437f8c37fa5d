package coco

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/asvit/asvit/atomicfile"
)

// Detection is one scored box, an entry of a COCO results file.
type Detection struct {
	ImageID    int64
	CategoryID int64
	BBox       Box
	Score      float64
}

// checkDetection checks what can be checked without the ground truth: a
// finite box with w, h >= 0 and a finite score. (A zero-size box overlaps
// nothing; pycocotools scores it as a false positive.)
func checkDetection(d Detection) error {
	b := d.BBox
	for _, v := range [...]float64{b.X, b.Y, b.W, b.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bbox %v has a value that is not finite", b)
		}
	}
	if b.W < 0 || b.H < 0 {
		return fmt.Errorf("bbox %v has a negative size", b)
	}
	if math.IsNaN(d.Score) || math.IsInf(d.Score, 0) {
		return fmt.Errorf("score %v is not finite", d.Score)
	}
	return nil
}

// ReadResults reads the COCO results file at path.
func ReadResults(path string) ([]Detection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeResults(f, path)
}

// DecodeResults reads a COCO results file, a JSON list of {"image_id",
// "category_id", "bbox", "score"}, from r; name stands for it in errors.
// Whether the image and category ids exist is checked by Evaluate.
func DecodeResults(r io.Reader, name string) ([]Detection, error) {
	var raws *[]json.RawMessage
	if err := decodeAll(r, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if raws == nil {
		return nil, fmt.Errorf("%s: null; want a JSON list of detections", name)
	}
	dets := make([]Detection, len(*raws))
	for i, raw := range *raws {
		var w wireDetection
		if err := decodeEntry(raw, &w, name, "results", i); err != nil {
			return nil, err
		}
		at := fmt.Sprintf("%s: results[%d]", name, i)
		for _, k := range []key{{"image_id", w.ImageID != nil}, {"category_id", w.CategoryID != nil},
			{"bbox", w.BBox != nil}, {"score", w.Score != nil}} {
			if !k.present {
				return nil, fmt.Errorf("%s: missing key %q (or it is null)", at, k.name)
			}
		}
		box, err := boxOf(*w.BBox)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		dets[i] = Detection{ImageID: *w.ImageID, CategoryID: *w.CategoryID, BBox: box, Score: *w.Score}
		if err := checkDetection(dets[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
	}
	return dets, nil
}

// WriteResults writes dets to path as a COCO results file, atomically.
func WriteResults(path string, dets []Detection) error {
	if err := checkDetections(path, dets); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return encodeResults(w, dets) })
}

// EncodeResults writes dets to w as a COCO results file, one detection per
// line in the given order.
func EncodeResults(w io.Writer, dets []Detection) error {
	if err := checkDetections("results", dets); err != nil {
		return err
	}
	return encodeResults(w, dets)
}

func checkDetections(name string, dets []Detection) error {
	for i, d := range dets {
		if err := checkDetection(d); err != nil {
			return fmt.Errorf("%s: results[%d]: %w", name, i, err)
		}
	}
	return nil
}

func encodeResults(w io.Writer, dets []Detection) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, d := range dets {
		bb := []float64{d.BBox.X, d.BBox.Y, d.BBox.W, d.BBox.H}
		writeEntry(&b, i, wireDetection{&d.ImageID, &d.CategoryID, &bb, &d.Score})
	}
	b.WriteString("\n]\n")
	_, err := w.Write(b.Bytes())
	return err
}
