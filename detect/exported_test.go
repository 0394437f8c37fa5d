package detect

import (
	"strings"
	"testing"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
)

// TestExported runs an exported detector through Exported: its detections
// are the slots ExportDecoder's Decoder fills, and models or inputs that do
// not fit are refused.
func TestExported(t *testing.T) {
	m := tinyDetector(t, 32)
	weights := craft(m, 6, 1, 14)
	opts := ExportOptions{TopK: 30, MinScore: 0.3, IoUThreshold: 0.4}
	model, meta, err := m.Export(weights, opts, export.Meta{Mean: []float32{0.5}, Std: []float32{0.25}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := OpenExported(model, meta, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	if e.Meta().Detection.TopK != 30 {
		t.Errorf("Meta() = %+v", e.Meta())
	}
	d, err := m.ExportDecoder(opts)
	if err != nil {
		t.Fatal(err)
	}
	images := noiseImages(2, 3, 32)
	_, want := goSlots(t, m, weights, d, images, 3)
	got, err := e.Detect(images, 3)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range want {
		n += len(want[i])
		if len(got[i]) != len(want[i]) {
			t.Fatalf("image %d: %d detections, want %d", i, len(got[i]), len(want[i]))
		}
		for j, w := range want[i] {
			g := got[i][j]
			if g.Class != w.Class || !near(g.Score, w.Score, 1e-5) || !near(g.X, w.X, 1e-3) || !near(g.Y, w.Y, 1e-3) ||
				!near(g.W, w.W, 1e-3) || !near(g.H, w.H, 1e-3) {
				t.Errorf("image %d, detection %d: %+v, want %+v", i, j, g, w)
			}
		}
	}
	if n == 0 || n == 3*opts.TopK {
		t.Errorf("%d of %d slots full; want some full and some empty", n, 3*opts.TopK)
	}
	if _, err := e.Detect(images[1:], 3); err == nil || !strings.Contains(err.Error(), "values for 3 images") {
		t.Errorf("short input: %v", err)
	}

	for _, c := range []struct {
		edit func(*export.Meta)
		want string
	}{
		{func(m *export.Meta) { m.Output = export.Logits }, "not detections"},
		{func(m *export.Meta) { m.Detection.TopK = 31 }, "its metadata implies"},
		{func(m *export.Meta) { m.Image = 64 }, "its metadata implies"},
	} {
		bad := meta
		c.edit(&bad)
		if _, err := OpenExported(model, bad, ort.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("meta %+v: error %v, want %q", bad, err, c.want)
		}
	}
	e.Destroy()
	if _, err := e.Detect(images, 3); err == nil {
		t.Error("Detect after Destroy: no error")
	}
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }
