package data

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // decoder for .jpg and .jpeg
	_ "image/png"  // decoder for .png
	"io/fs"
	"path"
	"slices"
	"strings"
)

// imageExts are the file suffixes an image folder reads (any case); other
// files are ignored.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// folderFile is one image file with its class.
type folderFile struct {
	name  string // path relative to the dataset directory
	label int
}

func readImageFolder(src source, opts OpenOptions) (*Dataset, error) {
	classes, err := subdirs(src, "train")
	if err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class directories; want train/<class>/*.png|jpg|jpeg", src.show("train"))
	}
	testDir := "val"
	if !isDir(src, testDir) {
		testDir = "test"
	}
	if !isDir(src, testDir) {
		return nil, fmt.Errorf("%s: missing val/ or test/ beside train/ (same <class>/ layout)", src.label)
	}
	trainFiles, err := folderFiles(src, "train", classes)
	if err != nil {
		return nil, err
	}
	testClasses, err := subdirs(src, testDir)
	if err != nil {
		return nil, err
	}
	for _, c := range testClasses {
		if !slices.Contains(classes, c) {
			return nil, fmt.Errorf("%s: class %q is not among the training classes %v", src.show(testDir), c, classes)
		}
	}
	testFiles, err := folderFiles(src, testDir, testClasses)
	if err != nil {
		return nil, err
	}
	for i := range testFiles { // relabel by the training class order
		testFiles[i].label = slices.Index(classes, testClasses[testFiles[i].label])
	}
	dec := &folderDecoder{src: src, h: opts.Height, w: opts.Width, c: opts.Channels, skipBad: opts.SkipBad}
	train, err := dec.split("train", trainFiles)
	if err != nil {
		return nil, err
	}
	test, err := dec.split("test", testFiles)
	if err != nil {
		return nil, err
	}
	return &Dataset{Classes: classes, Train: train, Test: test}, nil
}

// subdirs lists the sorted subdirectories of dir, skipping hidden ones.
func subdirs(src source, dir string) ([]string, error) {
	entries, err := fs.ReadDir(src.fsys, src.path(dir))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.show(dir), err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil // fs.ReadDir sorts by name
}

// folderFiles lists the image files of dir/<class>/ for each class, in class
// then name order.
func folderFiles(src source, dir string, classes []string) ([]folderFile, error) {
	var files []folderFile
	for label, c := range classes {
		entries, err := fs.ReadDir(src.fsys, src.path(path.Join(dir, c)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.show(path.Join(dir, c)), err)
		}
		for _, e := range entries {
			ext := strings.ToLower(path.Ext(e.Name()))
			if e.Type().IsRegular() && slices.Contains(imageExts, ext) {
				files = append(files, folderFile{path.Join(dir, c, e.Name()), label})
			}
		}
	}
	return files, nil
}

// folderDecoder decodes images to a common size and channel count, which the
// first decoded image sets when the options leave them 0.
type folderDecoder struct {
	src     source
	h, w, c int
	skipBad bool
}

func (d *folderDecoder) split(name string, files []folderFile) (*Split, error) {
	s := &Split{Name: name}
	for _, f := range files {
		img, err := d.decode(f.name)
		if err != nil {
			if d.skipBad {
				s.Skipped++
				continue
			}
			return nil, fmt.Errorf("%s: %w", d.src.show(f.name), err)
		}
		s.Images = append(s.Images, d.planes(img)...)
		s.Labels = append(s.Labels, f.label)
		s.N++
	}
	s.C, s.H, s.W = d.c, d.h, d.w
	return s, nil
}

func (d *folderDecoder) decode(name string) (image.Image, error) {
	b, err := fs.ReadFile(d.src.fsys, d.src.path(name))
	if err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %w", err)
	}
	if r := img.Bounds(); r.Dx() > maxSide || r.Dy() > maxSide {
		return nil, fmt.Errorf("image is %d×%d, larger than %d on a side", r.Dx(), r.Dy(), maxSide)
	}
	if d.h == 0 || d.w == 0 {
		d.h, d.w = img.Bounds().Dy(), img.Bounds().Dx()
	}
	if d.c == 0 {
		d.c = 3
		switch img.(type) {
		case *image.Gray, *image.Gray16:
			d.c = 1
		}
	}
	return img, nil
}

// planes converts img to d.c channel planes of d.h×d.w (alpha composited over
// black, RGB averaged for gray), resizing bilinearly when its size differs.
func (d *folderDecoder) planes(img image.Image) []uint8 {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	plane := b.Dx() * b.Dy()
	native := make([]uint8, d.c*plane)
	for p := range plane {
		px := rgba.Pix[4*p : 4*p+3]
		if d.c == 1 {
			native[p] = uint8((int(px[0]) + int(px[1]) + int(px[2]) + 1) / 3)
			continue
		}
		native[p], native[plane+p], native[2*plane+p] = px[0], px[1], px[2]
	}
	if b.Dx() == d.w && b.Dy() == d.h {
		return native
	}
	out := make([]uint8, d.c*d.h*d.w)
	rows, cols := bilinearTaps(b.Dy(), d.h), bilinearTaps(b.Dx(), d.w)
	for c := range d.c {
		resizePlane(out[c*d.h*d.w:(c+1)*d.h*d.w], native[c*plane:(c+1)*plane], b.Dx(), rows, cols)
	}
	return out
}
