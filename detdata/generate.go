package detdata

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/data"
)

// Config says what Generate makes. Start from DefaultConfig; Generate
// rejects values out of range rather than replacing them.
type Config struct {
	// Source is the directory of the item data set, MNIST or Fashion-MNIST
	// IDX files or any format data.Open reads with one channel; "" takes
	// the Fashion-MNIST sample embedded in the binary (2,000 training and
	// 500 test items).
	Source string `json:"source"`
	// Size is the side of the square canvases, in pixels.
	Size int `json:"size"`
	// Train and Val are the numbers of canvases of each split.
	Train int `json:"train"`
	Val   int `json:"val"`
	// MinObjects and MaxObjects bound the objects per canvas (uniform).
	// Fewer are placed when the MaxIoU rule leaves no room.
	MinObjects int `json:"min_objects"`
	MaxObjects int `json:"max_objects"`
	// MinSide and MaxSide bound the size of an object, the side √(w·h) of
	// its box, drawn log-uniformly; the item is scaled to reach it, but its
	// frame is capped at the canvas, so the largest sizes are reached only
	// by items that fill their frame. MaxSide is at most Size.
	MinSide int `json:"min_side"`
	MaxSide int `json:"max_side"`
	// MaxIoU caps the IoU between the boxes of two objects on a canvas.
	MaxIoU float64 `json:"max_iou"`
	// Noise is the largest background pixel value (0..255); 0 gives a
	// black background.
	Noise int `json:"noise"`
	// Clutter is the largest number of unannotated item fragments per
	// canvas (uniform from 0); 0 disables them.
	Clutter int `json:"clutter"`
	// Seed seeds everything random.
	Seed uint64 `json:"seed"`
}

// DefaultConfig returns the default set: 1,000 training and 200 validation
// canvases of 128 px with 1 to 4 objects of 12 to 128 px, IoU at most 0.3,
// noise up to 24 and up to 3 clutter fragments, from the embedded
// Fashion-MNIST sample, seed 1.
func DefaultConfig() Config {
	return Config{
		Size: 128, Train: 1000, Val: 200,
		MinObjects: 1, MaxObjects: 4, MinSide: 12, MaxSide: 128,
		MaxIoU: 0.3, Noise: 24, Clutter: 3, Seed: 1,
	}
}

// maxCanvas bounds Size so that a canvas fits a PNG and memory easily.
const maxCanvas = 4096

// Check reports the first field out of range.
func (c Config) Check() error {
	switch {
	case c.Size < 8 || c.Size > maxCanvas:
		return fmt.Errorf("canvas size %d is out of range; use 8..%d", c.Size, maxCanvas)
	case c.Train < 1 || c.Val < 1:
		return fmt.Errorf("%d training and %d validation canvases; want at least 1 of each", c.Train, c.Val)
	case c.MinObjects < 1 || c.MaxObjects < c.MinObjects:
		return fmt.Errorf("objects per canvas %d..%d; want 1 <= min <= max", c.MinObjects, c.MaxObjects)
	case c.MaxObjects > 100:
		return fmt.Errorf("max objects per canvas %d; at most 100 (the COCO protocol's limit on detections)", c.MaxObjects)
	case c.MinSide < 4 || c.MaxSide < c.MinSide || c.MaxSide > c.Size:
		return fmt.Errorf("object sizes %d..%d; want 4 <= min <= max <= canvas size %d", c.MinSide, c.MaxSide, c.Size)
	case !(c.MaxIoU >= 0 && c.MaxIoU <= 1):
		return fmt.Errorf("max IoU %v; want a value in 0..1", c.MaxIoU)
	case c.Noise < 0 || c.Noise > 255:
		return fmt.Errorf("noise %d; want 0..255", c.Noise)
	case c.Clutter < 0 || c.Clutter > 100:
		return fmt.Errorf("clutter %d; want 0..100 fragments", c.Clutter)
	}
	return nil
}

// The names of the generated splits, which name their files.
const (
	TrainSplit = "train"
	ValSplit   = "val"
)

// splits lists the split names in the order of their random streams.
var splits = [2]string{TrainSplit, ValSplit}

// Generate makes the set cfg describes in outDir (created if needed; files
// of the same names are replaced, others left alone), reading the items from
// cfg.Source. progress, when not nil, is called from one goroutine after
// each canvas with the number done and the total. A cancelled ctx stops
// the work and returns ctx's error; the images written so far stay, but
// no annotation file is written.
func Generate(ctx context.Context, cfg Config, outDir string, progress func(done, total int)) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	var ds *data.Dataset
	var err error
	if cfg.Source == "" {
		ds, err = data.OpenSample(data.OpenOptions{})
	} else {
		ds, err = data.Open(cfg.Source, data.OpenOptions{})
	}
	if err != nil {
		return fmt.Errorf("open item source: %w", err)
	}
	return GenerateFrom(ctx, cfg, ds, outDir, progress)
}

// GenerateFrom is Generate with the items taken from ds, which must have
// one channel, instead of from cfg.Source. config.json records cfg as
// given.
func GenerateFrom(ctx context.Context, cfg Config, ds *data.Dataset, outDir string, progress func(done, total int)) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, s := range []*data.Split{ds.Train, ds.Test} {
		if s == nil || s.N == 0 {
			return errors.New("item source: a split is empty")
		}
		if s.C != 1 {
			return fmt.Errorf("item source: %s split has %d channels; the generator pastes gray items (1 channel)", s.Name, s.C)
		}
		for i, l := range s.Labels {
			if l < 0 || l >= len(ds.Classes) {
				return fmt.Errorf("item source: %s item %d has label %d but there are %d class names", s.Name, i, l, len(ds.Classes))
			}
		}
	}
	for _, split := range splits {
		if err := os.MkdirAll(filepath.Join(outDir, "images", split), 0o755); err != nil {
			return err
		}
	}
	g := &generator{cfg: cfg, classes: ds.Classes}
	sources := [2]*data.Split{ds.Train, ds.Test} // train canvases from training items, val from test items
	counts := [2]int{cfg.Train, cfg.Val}
	objects, err := g.renderAll(ctx, outDir, sources, counts, progress)
	if err != nil {
		return err
	}
	for s, split := range splits {
		set := g.cocoSet(counts[s], objects[s])
		if err := coco.Write(filepath.Join(outDir, "instances_"+split+".json"), set); err != nil {
			return err
		}
	}
	conf, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(outDir, "config.json"), append(conf, '\n'), 0o644)
}

// generator holds what all canvases share.
type generator struct {
	cfg     Config
	classes []string
}

// object is one pasted item.
type object struct {
	class  int
	layer  []uint8         // the scaled item, fh×fw
	fh, fw int             // frame size
	x, y   int             // frame position on the canvas
	box    image.Rectangle // tight box of the nonzero pixels of layer, in canvas coordinates
}

// annotation is what the annotation file keeps of an object.
type annotation struct {
	class int
	box   image.Rectangle
}

// canvas is a rendered image and its objects.
type canvas struct {
	pix     []uint8 // Size×Size
	objects []object
}

// Random streams are told apart by this domain constant.
const canvasDomain = 0x4445_5444_4154_4131

// mix64 is the SplitMix64 finaliser, a bijective hash of 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// rng returns the random stream of canvas i of split s.
func (g *generator) rng(s, i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.cfg.Seed, mix64(mix64(canvasDomain^uint64(s))^uint64(i))))
}

// imageName is the file name of canvas i (0-based), whose image id is i+1.
func imageName(i int) string { return fmt.Sprintf("%06d.png", i+1) }

// renderAll renders, encodes and writes every canvas, spreading the work
// over the CPUs, and returns the annotations of each canvas of each split.
func (g *generator) renderAll(ctx context.Context, outDir string, sources [2]*data.Split, counts [2]int,
	progress func(done, total int)) ([2][][]annotation, error) {
	var objects [2][][]annotation
	type job struct{ s, i int }
	jobs := make(chan job)
	done := make(chan error)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for s := range objects {
		objects[s] = make([][]annotation, counts[s])
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf bytes.Buffer
			enc := png.Encoder{CompressionLevel: png.BestSpeed}
			for j := range jobs {
				c := g.render(g.rng(j.s, j.i), sources[j.s])
				img := &image.Gray{Pix: c.pix, Stride: g.cfg.Size, Rect: image.Rect(0, 0, g.cfg.Size, g.cfg.Size)}
				buf.Reset()
				err := enc.Encode(&buf, img)
				if err == nil {
					err = atomicfile.WriteFile(filepath.Join(outDir, "images", splits[j.s], imageName(j.i)), buf.Bytes(), 0o644)
				}
				anns := make([]annotation, len(c.objects))
				for k, o := range c.objects {
					anns[k] = annotation{o.class, o.box}
				}
				objects[j.s][j.i] = anns
				done <- err
			}
		})
	}
	go func() {
		defer close(jobs)
		for s := range counts {
			for i := range counts[s] {
				select {
				case jobs <- job{s, i}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	total, n := counts[0]+counts[1], 0
	var first error
	for err := range done {
		if err != nil && first == nil {
			first = err
			cancel()
		}
		n++
		if progress != nil && first == nil {
			progress(n, total)
		}
	}
	if first == nil && n < total {
		first = ctx.Err()
	}
	return objects, first
}

// render draws one canvas from r with items of split src.
func (g *generator) render(r *rand.Rand, src *data.Split) canvas {
	S := g.cfg.Size
	pix := make([]uint8, S*S)
	if g.cfg.Noise > 0 {
		for p := range pix {
			pix[p] = uint8(r.IntN(g.cfg.Noise + 1))
		}
	}
	for range r.IntN(g.cfg.Clutter + 1) {
		g.pasteFragment(r, src, pix)
	}
	n := g.cfg.MinObjects + r.IntN(g.cfg.MaxObjects-g.cfg.MinObjects+1)
	// Draw the items and their sizes first, then place the largest first:
	// they are the hardest to fit.
	items := make([]object, 0, n)
	for range n {
		if o, ok := g.drawItem(r, src); ok {
			items = append(items, o)
		}
	}
	slices.SortStableFunc(items, func(a, b object) int { return cmp.Compare(b.fh*b.fw, a.fh*a.fw) })
	var placed []object
	for _, o := range items {
		if g.place(r, &o, placed) {
			placed = append(placed, o)
			blit(pix, S, o.layer, o.fh, o.fw, o.x, o.y, 1)
		}
	}
	return canvas{pix: pix, objects: placed}
}

// drawItem draws an item and its size: the side of its box, √(w·h), is
// drawn log-uniformly from MinSide..MaxSide and the item scaled to reach
// it, its frame capped at the canvas. ok is false for an item with no
// nonzero pixel.
func (g *generator) drawItem(r *rand.Rand, src *data.Split) (object, bool) {
	i := r.IntN(src.N)
	target := g.drawSize(r)
	img := src.Image(i)
	native, ok := tightBox(img, src.H, src.W)
	if !ok {
		return object{}, false
	}
	// The box scales with the frame, whose longer side is max(H, W) natively.
	fill := math.Sqrt(float64(native.Dx()*native.Dy())) / float64(max(src.H, src.W))
	side := min(g.cfg.Size, max(1, int(math.Round(target/fill))))
	fh, fw := frame(src.H, src.W, side)
	layer := resize(img, src.H, src.W, fh, fw)
	box, ok := tightBox(layer, fh, fw)
	if !ok {
		return object{}, false
	}
	return object{class: src.Labels[i], layer: layer, fh: fh, fw: fw, box: box}, true
}

// drawSize draws a length log-uniformly from MinSide..MaxSide.
func (g *generator) drawSize(r *rand.Rand) float64 {
	lo, hi := math.Log(float64(g.cfg.MinSide)), math.Log(float64(g.cfg.MaxSide))
	return math.Exp(lo + r.Float64()*(hi-lo))
}

// frame returns the size of an h×w item scaled so that its longer side is
// side.
func frame(h, w, side int) (fh, fw int) {
	if h >= w {
		return side, max(1, int(math.Round(float64(side)*float64(w)/float64(h))))
	}
	return max(1, int(math.Round(float64(side)*float64(h)/float64(w)))), side
}

// placeTries is how many positions an object may try before it is dropped.
const placeTries = 100

// maxCover is the largest fraction of a box that another box may cover, so
// that a small object is not pasted inside a large one (their IoU can be
// small) where it would merge into it.
const maxCover = 0.5

// place draws a position for o whose box keeps the MaxIoU and maxCover
// rules with the boxes placed, and moves o's box there; it reports whether
// one was found.
func (g *generator) place(r *rand.Rand, o *object, placed []object) bool {
	rel := o.box // relative to the frame
	for range placeTries {
		x, y := r.IntN(g.cfg.Size-o.fw+1), r.IntN(g.cfg.Size-o.fh+1)
		box := rel.Add(image.Pt(x, y))
		ok := true
		for _, p := range placed {
			if iou(box, p.box) > g.cfg.MaxIoU || cover(box, p.box) > maxCover {
				ok = false
				break
			}
		}
		if ok {
			o.x, o.y, o.box = x, y, box
			return true
		}
	}
	return false
}

// pasteFragment pastes a crop of at most half an item's frame, scaled like
// an object, at 15–35% of its brightness, somewhere on the canvas.
func (g *generator) pasteFragment(r *rand.Rand, src *data.Split, pix []uint8) {
	i := r.IntN(src.N)
	ch, cw := max(1, src.H/4+r.IntN(src.H/4+1)), max(1, src.W/4+r.IntN(src.W/4+1))
	cy, cx := r.IntN(src.H-ch+1), r.IntN(src.W-cw+1)
	crop := make([]uint8, ch*cw)
	img := src.Image(i)
	for y := range ch {
		copy(crop[y*cw:(y+1)*cw], img[(cy+y)*src.W+cx:][:cw])
	}
	side := min(g.cfg.Size, int(g.drawSize(r)))
	fh, fw := frame(src.H, src.W, side)
	oh, ow := max(1, ch*fh/src.H), max(1, cw*fw/src.W)
	layer := resize(crop, ch, cw, oh, ow)
	gain := 0.15 + 0.2*r.Float64()
	x, y := r.IntN(g.cfg.Size-ow+1), r.IntN(g.cfg.Size-oh+1)
	blit(pix, g.cfg.Size, layer, oh, ow, x, y, gain)
}

// blit combines the h×w layer, scaled by gain, into the canvas of side S
// at (x, y) by the pixelwise maximum.
func blit(pix []uint8, S int, layer []uint8, h, w, x, y int, gain float64) {
	for ly := range h {
		row := pix[(y+ly)*S+x:][:w]
		for lx, v := range layer[ly*w : (ly+1)*w] {
			if gain != 1 {
				v = uint8(float64(v)*gain + 0.5)
			}
			row[lx] = max(row[lx], v)
		}
	}
}

// tightBox returns the smallest rectangle holding the nonzero pixels of
// the h×w layer; ok is false when there is none.
func tightBox(layer []uint8, h, w int) (box image.Rectangle, ok bool) {
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x, v := range layer[y*w : (y+1)*w] {
			if v != 0 {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(x0, y0, x1+1, y1+1), true
}

// iou is the intersection over union of two pixel rectangles.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// cover is the intersection of two pixel rectangles over the smaller one's
// area.
func cover(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	return float64(in.Dx()*in.Dy()) / float64(min(a.Dx()*a.Dy(), b.Dx()*b.Dy()))
}

// cocoSet builds the COCO set of n canvases with the given objects.
func (g *generator) cocoSet(n int, objects [][]annotation) *coco.Dataset {
	d := &coco.Dataset{Images: make([]coco.Image, n)}
	for c, name := range g.classes {
		d.Categories = append(d.Categories, coco.Category{ID: int64(c + 1), Name: name})
	}
	for i := range n {
		d.Images[i] = coco.Image{ID: int64(i + 1), FileName: imageName(i), Width: g.cfg.Size, Height: g.cfg.Size}
		for _, o := range objects[i] {
			b := coco.Box{X: float64(o.box.Min.X), Y: float64(o.box.Min.Y), W: float64(o.box.Dx()), H: float64(o.box.Dy())}
			d.Annotations = append(d.Annotations, coco.Annotation{
				ID: int64(len(d.Annotations) + 1), ImageID: int64(i + 1), CategoryID: int64(o.class + 1),
				BBox: b, Area: b.Area(),
			})
		}
	}
	return d
}
