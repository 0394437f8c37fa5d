package coco

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestGolden compares Evaluate with testdata/golden.json: random cases
// scored by testdata/golden.py, a pure-Python transcription of
// pycocotools' COCOeval written apart from this package. Regenerate with
// (cd testdata && python3 golden.py > golden.json).
func TestGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			GT          json.RawMessage `json:"gt"`
			Results     json.RawMessage `json:"results"`
			Stats       [12]float64     `json:"stats"`
			PerCategory [][12]float64   `json:"per_category"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 50 {
		t.Fatalf("%d golden cases, want at least 50", len(golden.Cases))
	}
	for n, c := range golden.Cases {
		gt, err := Decode(bytes.NewReader(c.GT), "golden gt")
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		dets, err := DecodeResults(bytes.NewReader(c.Results), "golden results")
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		r, err := Evaluate(gt, dets)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		// Both sides sum the same values in the same order; the tolerance
		// only allows for that order to differ.
		same := func(got, want [12]float64) bool {
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					return false
				}
			}
			return true
		}
		if got := r.Values(); !same(got, c.Stats) {
			t.Errorf("case %d (%d objects, %d detections):\n got %v\nwant %v", n, len(gt.Annotations), len(dets), got, c.Stats)
		}
		if len(r.Categories) != len(c.PerCategory) {
			t.Fatalf("case %d: %d categories, want %d", n, len(r.Categories), len(c.PerCategory))
		}
		for k, cat := range r.Categories {
			if got := cat.Values(); !same(got, c.PerCategory[k]) {
				t.Errorf("case %d, category %d:\n got %v\nwant %v", n, cat.ID, got, c.PerCategory[k])
			}
		}
	}
}
