package coco

import (
	"fmt"
	"math"
)

// BoxTolerance is how far, in pixels, a ground-truth box may reach past
// each border of its image and still be accepted: enough for decimal
// round-off of coordinates, far less than a pixel.
const BoxTolerance = 1e-3

// Box is an axis-aligned box in pixels: top-left corner (X, Y), width W and
// height H, written [x, y, w, h] in COCO files.
type Box struct {
	X, Y, W, H float64
}

// Area returns W·H.
func (b Box) Area() float64 { return b.W * b.H }

// IoU returns the intersection over union of a and b as pycocotools
// computes it for non-crowd boxes: 0 when they do not overlap.
func IoU(a, b Box) float64 {
	// Same operations in the same order as pycocotools' bbIou, so the
	// result is bit for bit the same.
	w := math.Min(a.W+a.X, b.W+b.X) - math.Max(a.X, b.X)
	if w <= 0 {
		return 0
	}
	h := math.Min(a.H+a.Y, b.H+b.Y) - math.Max(a.Y, b.Y)
	if h <= 0 {
		return 0
	}
	i := w * h
	return i / (float64(a.W*a.H) + float64(b.W*b.H) - i)
}

func (b Box) String() string { return fmt.Sprintf("[%g %g %g %g]", b.X, b.Y, b.W, b.H) }

// Image is one entry of "images".
type Image struct {
	ID            int64
	FileName      string
	Width, Height int
}

// Annotation is one ground-truth object, an entry of "annotations". Crowd
// annotations are not supported, so there is no iscrowd field: it is 0 on
// disk.
type Annotation struct {
	ID         int64
	ImageID    int64
	CategoryID int64
	BBox       Box
	// Area is the object's area in square pixels; evaluation sorts objects
	// into the small, medium and large ranges by it. COCO sets it to the
	// area of the segmentation mask, which is smaller than the box's.
	Area float64
}

// Category is one entry of "categories".
type Category struct {
	ID            int64
	Name          string
	Supercategory string // optional; written only when not empty
}

// Dataset is a COCO ground-truth set. Read returns it in file order; code
// that builds one need not sort it.
type Dataset struct {
	Images      []Image
	Annotations []Annotation
	Categories  []Category
}

// Validate checks the rules listed in the package documentation. name
// prefixes its errors, usually the file the set comes from.
func (d *Dataset) Validate(name string) error {
	if len(d.Images) == 0 {
		return fmt.Errorf("%s: no images", name)
	}
	if len(d.Categories) == 0 {
		return fmt.Errorf("%s: no categories", name)
	}
	images := make(map[int64]*Image, len(d.Images))
	files := make(map[string]int, len(d.Images))
	for i := range d.Images {
		im := &d.Images[i]
		at := fmt.Sprintf("%s: images[%d] (id %d)", name, i, im.ID)
		if _, dup := images[im.ID]; dup {
			return fmt.Errorf("%s: duplicate image id", at)
		}
		images[im.ID] = im
		if im.FileName == "" {
			return fmt.Errorf("%s: empty file_name", at)
		}
		if j, dup := files[im.FileName]; dup {
			return fmt.Errorf("%s: file_name %q is also that of images[%d]", at, im.FileName, j)
		}
		files[im.FileName] = i
		if im.Width <= 0 || im.Height <= 0 {
			return fmt.Errorf("%s: size %d×%d; width and height must be positive", at, im.Width, im.Height)
		}
	}
	cats := make(map[int64]bool, len(d.Categories))
	for i, c := range d.Categories {
		if cats[c.ID] {
			return fmt.Errorf("%s: categories[%d] (id %d): duplicate category id", name, i, c.ID)
		}
		cats[c.ID] = true
	}
	anns := make(map[int64]bool, len(d.Annotations))
	for i, a := range d.Annotations {
		at := fmt.Sprintf("%s: annotations[%d] (id %d)", name, i, a.ID)
		if a.ID < 1 {
			return fmt.Errorf("%s: annotation ids must be at least 1 (pycocotools reads a match to id 0 as no match)", at)
		}
		if anns[a.ID] {
			return fmt.Errorf("%s: duplicate annotation id", at)
		}
		anns[a.ID] = true
		im, ok := images[a.ImageID]
		if !ok {
			return fmt.Errorf("%s: image_id %d is not among the images", at, a.ImageID)
		}
		if !cats[a.CategoryID] {
			return fmt.Errorf("%s: category_id %d is not among the categories", at, a.CategoryID)
		}
		if err := checkGTBox(a.BBox, im); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if !(a.Area >= 0) || math.IsInf(a.Area, 0) {
			return fmt.Errorf("%s: area %g; want a finite value >= 0", at, a.Area)
		}
	}
	return nil
}

// checkGTBox checks that b has a positive size and lies inside im, up to
// BoxTolerance.
func checkGTBox(b Box, im *Image) error {
	for _, v := range [...]float64{b.X, b.Y, b.W, b.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bbox %v has a value that is not finite", b)
		}
	}
	switch {
	case b.W <= 0:
		return fmt.Errorf("bbox %v has w <= 0", b)
	case b.H <= 0:
		return fmt.Errorf("bbox %v has h <= 0", b)
	case b.X < -BoxTolerance || b.Y < -BoxTolerance ||
		b.X+b.W > float64(im.Width)+BoxTolerance || b.Y+b.H > float64(im.Height)+BoxTolerance:
		return fmt.Errorf("bbox %v (right %g, bottom %g) extends outside its image %d (%d×%d)",
			b, b.X+b.W, b.Y+b.H, im.ID, im.Width, im.Height)
	}
	return nil
}
