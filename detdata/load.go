package detdata

import (
	"cmp"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/asvit/asvit/coco"
)

// Object is one ground-truth object of an image.
type Object struct {
	Box          coco.Box
	Class        int   // index into Set.Classes
	CategoryID   int64 // the COCO category id
	AnnotationID int64
}

// Set is a COCO detection split held in memory: gray images of one size
// and their objects.
type Set struct {
	COCO *coco.Dataset
	// Classes and CategoryIDs list the categories in id order; an object's
	// Class indexes them.
	Classes     []string
	CategoryIDs []int64
	// Pixels holds the N images, H×W each, in the order of COCO.Images.
	Pixels  []uint8
	N, H, W int
	// Objects lists the objects of each image in annotation order.
	Objects [][]Object
}

// Image returns image i as an H×W view into s.Pixels.
func (s *Set) Image(i int) []uint8 { return s.Pixels[i*s.H*s.W : (i+1)*s.H*s.W] }

// OpenSplit loads split ("train" or "val") of a set in the layout Generate
// writes: dir/instances_SPLIT.json with images in dir/images/SPLIT.
func OpenSplit(dir, split string) (*Set, error) {
	return Load(filepath.Join(dir, "instances_"+split+".json"), filepath.Join(dir, "images", split))
}

// Load reads the COCO instances file annotations and its images, whose
// file_name is relative to imageDir. The images must be PNG files of the
// size the file gives, all of one size; gray images are taken as they are,
// others converted to gray (ITU-R 601 luma, as image/color does). There is
// no resizing.
func Load(annotations, imageDir string) (*Set, error) {
	d, err := coco.Read(annotations)
	if err != nil {
		return nil, err
	}
	s := &Set{COCO: d, N: len(d.Images), H: d.Images[0].Height, W: d.Images[0].Width}
	for i, im := range d.Images {
		if im.Height != s.H || im.Width != s.W {
			return nil, fmt.Errorf("%s: images[%d] (id %d) is %d×%d but images[0] is %d×%d; the loader needs images of one size",
				annotations, i, im.ID, im.Width, im.Height, s.W, s.H)
		}
	}
	cats := slices.Clone(d.Categories)
	slices.SortFunc(cats, func(a, b coco.Category) int { return cmp.Compare(a.ID, b.ID) })
	class := make(map[int64]int, len(cats))
	for k, c := range cats {
		s.Classes = append(s.Classes, c.Name)
		s.CategoryIDs = append(s.CategoryIDs, c.ID)
		class[c.ID] = k
	}
	pos := make(map[int64]int, s.N)
	for i, im := range d.Images {
		pos[im.ID] = i
	}
	s.Objects = make([][]Object, s.N)
	for _, a := range d.Annotations {
		i := pos[a.ImageID]
		s.Objects[i] = append(s.Objects[i], Object{Box: a.BBox, Class: class[a.CategoryID], CategoryID: a.CategoryID, AnnotationID: a.ID})
	}
	s.Pixels = make([]uint8, s.N*s.H*s.W)
	for i, im := range d.Images {
		if !filepath.IsLocal(im.FileName) {
			return nil, fmt.Errorf("%s: images[%d] (id %d): file_name %q leaves the image directory", annotations, i, im.ID, im.FileName)
		}
		path := filepath.Join(imageDir, im.FileName)
		if err := readGray(path, s.Image(i), s.W, s.H); err != nil {
			return nil, fmt.Errorf("image id %d: %w", im.ID, err)
		}
	}
	return s, nil
}

// readGray decodes the PNG file at path, which must be w×h, into dst as
// gray.
func readGray(path string, dst []uint8, w, h int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("%s is %d×%d but the annotation file says %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	gray, ok := img.(*image.Gray)
	if !ok {
		gray = image.NewGray(image.Rect(0, 0, w, h))
		draw.Draw(gray, gray.Rect, img, b.Min, draw.Src)
	}
	for y := range h {
		off := gray.PixOffset(gray.Rect.Min.X, gray.Rect.Min.Y+y)
		copy(dst[y*w:(y+1)*w], gray.Pix[off:off+w])
	}
	return nil
}

// Stats returns the mean and population standard deviation of the set's
// pixels on the [0,1] scale: the normalisation package data derives from a
// training split, to be derived here from the training set and given to
// the loaders of every split.
func (s *Set) Stats() (mean, std float32) {
	var hist [256]uint64
	for _, v := range s.Pixels {
		hist[v]++
	}
	var n, sum, sumSq float64
	for v, k := range hist {
		f := float64(k)
		n += f
		sum += f * float64(v)
		sumSq += f * float64(v) * float64(v)
	}
	m := sum / n
	return float32(m / 255), float32(math.Sqrt(max(sumSq/n-m*m, 0)) / 255)
}

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	Batch int // images per batch, at least 1
	// Mean and Std normalise the pixels: x = (v/255 − Mean)/Std. Take them
	// from the training set's Stats.
	Mean, Std float32
	// Shuffle draws a new order of the images for each epoch from (Seed,
	// epoch); otherwise batches follow the order of the set.
	Shuffle bool
	Seed    uint64
	// DropLast drops an epoch's last batch when it would be short.
	DropLast bool
}

// Batch is a batch of model inputs with their objects.
type Batch struct {
	X          []float32 // N×1×H×W, normalised
	N, C, H, W int       // C is 1
	Index      []int     // the set index of each image
	ImageIDs   []int64
	// Objects are the objects of each image; the slices are the Set's,
	// shared, not copies.
	Objects [][]Object
}

// Shape returns the shape of X, as ONNX tensors want it.
func (b *Batch) Shape() []int64 { return []int64{int64(b.N), int64(b.C), int64(b.H), int64(b.W)} }

// Loader cuts a Set into batches. It keeps no state between calls: Batch
// may be called in any order and from several goroutines at once.
type Loader struct {
	set     *Set
	opts    LoaderOptions
	batches int
	scale   float32 // x = v·scale + bias
	bias    float32
}

// shuffleDomain tells the loader's random stream apart from the generator's.
const shuffleDomain = 0x4445_5453_4855_4631

// NewLoader checks opts and returns a loader over s.
func NewLoader(s *Set, opts LoaderOptions) (*Loader, error) {
	switch {
	case s == nil || s.N == 0:
		return nil, fmt.Errorf("the set has no images")
	case opts.Batch < 1:
		return nil, fmt.Errorf("batch %d is not allowed; use at least 1", opts.Batch)
	case math.IsNaN(float64(opts.Mean)) || math.IsInf(float64(opts.Mean), 0):
		return nil, fmt.Errorf("mean %v; want a finite value", opts.Mean)
	case !(opts.Std > 0) || math.IsInf(float64(opts.Std), 0):
		return nil, fmt.Errorf("std %v; want a positive finite value (take Mean and Std from the training set's Stats)", opts.Std)
	}
	l := &Loader{set: s, opts: opts, batches: (s.N + opts.Batch - 1) / opts.Batch,
		scale: 1 / (255 * opts.Std), bias: -opts.Mean / opts.Std}
	if opts.DropLast {
		l.batches = s.N / opts.Batch
		if l.batches == 0 {
			return nil, fmt.Errorf("batch %d is larger than the set (%d images) and DropLast leaves no batch", opts.Batch, s.N)
		}
	}
	return l, nil
}

// Len returns the number of batches in an epoch.
func (l *Loader) Len() int { return l.batches }

// Order returns the order of the set's images in an epoch.
func (l *Loader) Order(epoch int) []int {
	order := make([]int, l.set.N)
	for i := range order {
		order[i] = i
	}
	if l.opts.Shuffle {
		r := rand.New(rand.NewPCG(l.opts.Seed, mix64(shuffleDomain^uint64(epoch))))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// Batch writes batch step (0 <= step < Len()) of an epoch into dst and
// returns it; dst may be nil or too small, and a new batch is made.
func (l *Loader) Batch(epoch, step int, dst *Batch) (*Batch, error) {
	if step < 0 || step >= l.batches {
		return nil, fmt.Errorf("batch %d is out of range 0..%d", step, l.batches-1)
	}
	order := l.Order(epoch)
	return l.Gather(order[step*l.opts.Batch:min((step+1)*l.opts.Batch, len(order))], dst)
}

// Gather writes the images idx of the set, in that order, into dst and
// returns it; dst may be nil or too small, and a new batch is made.
func (l *Loader) Gather(idx []int, dst *Batch) (*Batch, error) {
	s := l.set
	for _, i := range idx {
		if i < 0 || i >= s.N {
			return nil, fmt.Errorf("image index %d is out of range 0..%d", i, s.N-1)
		}
	}
	n, per := len(idx), s.H*s.W
	if dst == nil {
		dst = &Batch{}
	}
	if cap(dst.X) < n*per {
		dst.X = make([]float32, n*per)
	}
	dst.X = dst.X[:n*per]
	dst.N, dst.C, dst.H, dst.W = n, 1, s.H, s.W
	dst.Index, dst.ImageIDs, dst.Objects = dst.Index[:0], dst.ImageIDs[:0], dst.Objects[:0]
	for j, i := range idx {
		out := dst.X[j*per : (j+1)*per]
		for p, v := range s.Image(i) {
			out[p] = float32(v)*l.scale + l.bias
		}
		dst.Index = append(dst.Index, i)
		dst.ImageIDs = append(dst.ImageIDs, s.COCO.Images[i].ID)
		dst.Objects = append(dst.Objects, s.Objects[i])
	}
	return dst, nil
}
