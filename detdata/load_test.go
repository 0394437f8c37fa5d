package detdata

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asvit/asvit/coco"
)

// writeSet writes a COCO set of the given image sizes (w, h pairs) to dir,
// with image i a gray PNG whose pixels are i+1 (or an RGBA one with that
// gray level when rgba), and one box per image.
func writeSet(t *testing.T, dir string, rgba bool, sizes ...[2]int) string {
	t.Helper()
	d := &coco.Dataset{Categories: []coco.Category{{ID: 5, Name: "five"}, {ID: 2, Name: "two"}}}
	for i, sz := range sizes {
		name := string(rune('a'+i)) + ".png"
		d.Images = append(d.Images, coco.Image{ID: int64(10 + i), FileName: name, Width: sz[0], Height: sz[1]})
		d.Annotations = append(d.Annotations, coco.Annotation{ID: int64(i + 1), ImageID: int64(10 + i),
			CategoryID: []int64{5, 2}[i%2], BBox: coco.Box{X: 1, Y: 1, W: 2, H: 2}, Area: 4})
		var img image.Image
		if rgba {
			m := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
			for p := range m.Bounds().Dx() * m.Bounds().Dy() {
				m.Set(p%sz[0], p/sz[0], color.RGBA{uint8(i + 1), uint8(i + 1), uint8(i + 1), 255})
			}
			img = m
		} else {
			m := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
			for p := range m.Pix {
				m.Pix[p] = uint8(i + 1)
			}
			img = m
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	path := filepath.Join(dir, "instances.json")
	if err := coco.Write(path, d); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadSet(t *testing.T) {
	dir := t.TempDir()
	s, err := Load(writeSet(t, dir, false, [2]int{6, 4}, [2]int{6, 4}, [2]int{6, 4}), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.H != 4 || s.W != 6 {
		t.Fatalf("%d images of %d×%d", s.N, s.W, s.H)
	}
	// Categories in id order: 2 ("two") is class 0, 5 is class 1.
	if !slices.Equal(s.Classes, []string{"two", "five"}) || !slices.Equal(s.CategoryIDs, []int64{2, 5}) {
		t.Errorf("classes %v, ids %v", s.Classes, s.CategoryIDs)
	}
	for i := range s.N {
		if s.Image(i)[5] != uint8(i+1) {
			t.Errorf("image %d reads %d", i, s.Image(i)[5])
		}
		if o := s.Objects[i]; len(o) != 1 || o[0].Class != 1-i%2 || o[0].AnnotationID != int64(i+1) {
			t.Errorf("objects of image %d: %+v", i, o)
		}
	}
	// RGB images are converted to gray.
	dir = t.TempDir()
	s, err = Load(writeSet(t, dir, true, [2]int{3, 3}, [2]int{3, 3}), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Image(1)[4] != 2 {
		t.Errorf("RGBA gray 2 reads %d", s.Image(1)[4])
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeSet(t, dir, false, [2]int{6, 4}, [2]int{5, 4})
	_, err := Load(path, dir)
	if err == nil || !strings.Contains(err.Error(), "images[1] (id 11) is 5×4 but images[0] is 6×4") {
		t.Errorf("mixed sizes: got %v", err)
	}

	dir = t.TempDir()
	path = writeSet(t, dir, false, [2]int{6, 4}, [2]int{6, 4})
	os.Remove(filepath.Join(dir, "b.png"))
	if _, err := Load(path, dir); err == nil || !strings.Contains(err.Error(), "b.png") {
		t.Errorf("missing image: got %v", err)
	}

	// A PNG of another size than the annotation file says.
	dir = t.TempDir()
	path = writeSet(t, dir, false, [2]int{6, 4})
	other := writeSet(t, t.TempDir(), false, [2]int{7, 4})
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(other), "a.png"))
	os.WriteFile(filepath.Join(dir, "a.png"), b, 0o644)
	if _, err := Load(path, dir); err == nil || !strings.Contains(err.Error(), "is 7×4 but the annotation file says 6×4") {
		t.Errorf("wrong size: got %v", err)
	}

	// A file name leaving the image directory.
	d := &coco.Dataset{Images: []coco.Image{{ID: 1, FileName: "../x.png", Width: 2, Height: 2}},
		Categories: []coco.Category{{ID: 1, Name: "x"}}}
	path = filepath.Join(t.TempDir(), "i.json")
	if err := coco.Write(path, d); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, t.TempDir()); err == nil || !strings.Contains(err.Error(), "leaves the image directory") {
		t.Errorf("../x.png: got %v", err)
	}
}

func TestLoaderBatches(t *testing.T) {
	dir := t.TempDir()
	var sizes [][2]int
	for range 7 {
		sizes = append(sizes, [2]int{4, 3})
	}
	s, err := Load(writeSet(t, dir, false, sizes...), dir)
	if err != nil {
		t.Fatal(err)
	}
	mean, std := s.Stats()
	// Image i holds i+1 everywhere: the mean is 4/255.
	if math.Abs(float64(mean)-4.0/255) > 1e-7 || math.Abs(float64(std)-2.0/255) > 1e-7 {
		t.Errorf("stats %v, %v; want 4/255 and 2/255", mean, std)
	}
	l, err := NewLoader(s, LoaderOptions{Batch: 3, Mean: mean, Std: std})
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 3 {
		t.Fatalf("%d batches, want 3", l.Len())
	}
	b, err := l.Batch(0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Shape(), []int64{1, 1, 3, 4}) || b.Index[0] != 6 || b.ImageIDs[0] != 16 || len(b.Objects[0]) != 1 {
		t.Fatalf("last batch: shape %v, index %v, ids %v", b.Shape(), b.Index, b.ImageIDs)
	}
	// (7/255 − 4/255)/(2/255) = 1.5
	if math.Abs(float64(b.X[0])-1.5) > 1e-5 {
		t.Errorf("normalised value %v, want 1.5", b.X[0])
	}
	// Reusing a batch; DropLast; shuffling depends on (seed, epoch) only.
	b, _ = l.Batch(0, 0, b)
	if b.N != 3 || len(b.X) != 36 || b.Index[2] != 2 {
		t.Errorf("first batch: N %d, %d values, index %v", b.N, len(b.X), b.Index)
	}
	l, _ = NewLoader(s, LoaderOptions{Batch: 3, Mean: mean, Std: std, DropLast: true, Shuffle: true, Seed: 4})
	if l.Len() != 2 {
		t.Errorf("DropLast: %d batches, want 2", l.Len())
	}
	l2, _ := NewLoader(s, LoaderOptions{Batch: 2, Mean: mean, Std: std, Shuffle: true, Seed: 4})
	if !slices.Equal(l.Order(3), l2.Order(3)) || slices.Equal(l.Order(3), l.Order(4)) {
		t.Errorf("orders %v %v %v", l.Order(3), l2.Order(3), l.Order(4))
	}
	sorted := slices.Sorted(slices.Values(l.Order(3)))
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("order %v is not a permutation", l.Order(3))
	}
	for _, o := range []LoaderOptions{{Batch: 0, Std: 1}, {Batch: 1}, {Batch: 1, Std: float32(math.Inf(1))},
		{Batch: 8, Std: 1, DropLast: true}} {
		if _, err := NewLoader(s, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := l.Batch(0, 2, nil); err == nil {
		t.Error("batch 2 of 2 accepted")
	}
}
