package detdata

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/internal/prereq"
)

// sample is the embedded Fashion-MNIST sample, read once.
var sample = sync.OnceValues(func() (*data.Dataset, error) { return data.OpenSample(data.OpenOptions{}) })

func openSample(t testing.TB) *data.Dataset {
	t.Helper()
	ds, err := sample()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// smallConfig is DefaultConfig with few canvases and the given seed.
func smallConfig(train, val int, seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Train, cfg.Val, cfg.Seed = train, val, seed
	return cfg
}

func generate(t testing.TB, cfg Config, ds *data.Dataset) string {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateFrom(context.Background(), cfg, ds, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readTree returns every file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsDeterministic(t *testing.T) {
	ds := openSample(t)
	cfg := smallConfig(24, 8, 7)
	a := readTree(t, generate(t, cfg, ds))
	// Another run on one CPU: the same bytes.
	procs := runtime.GOMAXPROCS(1)
	b := readTree(t, generate(t, cfg, ds))
	runtime.GOMAXPROCS(procs)
	if len(a) != 24+8+3 {
		t.Fatalf("%d files, want 24+8 images, 2 annotation files and config.json", len(a))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
	}
	// Another seed: other images and annotations.
	c := readTree(t, generate(t, smallConfig(24, 8, 8), ds))
	for _, name := range []string{"instances_train.json", "instances_val.json",
		filepath.Join("images", "train", "000001.png"), filepath.Join("images", "val", "000001.png")} {
		if bytes.Equal(a[name], c[name]) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
}

func TestGenerateProgressAndLayout(t *testing.T) {
	ds := openSample(t)
	dir := t.TempDir()
	var calls []int
	err := GenerateFrom(context.Background(), smallConfig(5, 3, 1), ds, dir, func(done, total int) {
		if total != 8 {
			t.Errorf("progress total %d, want 8", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 8 || calls[7] != 8 {
		t.Errorf("progress calls %v, want 1..8", calls)
	}
	for _, name := range []string{"instances_train.json", "instances_val.json", "config.json",
		"images/train/000005.png", "images/val/000003.png"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Error(err)
		}
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := GenerateFrom(ctx, smallConfig(50, 10, 1), openSample(t), dir, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "instances_train.json")); !os.IsNotExist(err) {
		t.Errorf("a cancelled run wrote its annotation file: %v", err)
	}
}

// TestBoxesAreTightAndInside renders canvases and checks each object's box
// against its own scaled item (the item layer): inside the canvas, every
// nonzero pixel of the layer inside the box, and each of the box's four
// edge rows and columns holding a nonzero pixel.
func TestBoxesAreTightAndInside(t *testing.T) {
	ds := openSample(t)
	cfg := smallConfig(1, 1, 3)
	g := &generator{cfg: cfg, classes: ds.Classes}
	S := cfg.Size
	objects := 0
	for i := range 100 {
		c := g.render(g.rng(0, i), ds.Train)
		for _, o := range c.objects {
			objects++
			if !o.box.In(image.Rect(0, 0, S, S)) || o.box.Empty() {
				t.Fatalf("canvas %d: box %v is not inside the %d px canvas", i, o.box, S)
			}
			at := func(x, y int) uint8 { // the layer at canvas point (x, y)
				lx, ly := x-o.x, y-o.y
				if lx < 0 || ly < 0 || lx >= o.fw || ly >= o.fh {
					return 0
				}
				return o.layer[ly*o.fw+lx]
			}
			for y := o.y; y < o.y+o.fh; y++ {
				for x := o.x; x < o.x+o.fw; x++ {
					if at(x, y) != 0 && !image.Pt(x, y).In(o.box) {
						t.Fatalf("canvas %d: item pixel (%d,%d) lies outside its box %v", i, x, y, o.box)
					}
					// Layers combine by maximum: the canvas shows at least the item.
					if c.pix[y*S+x] < at(x, y) {
						t.Fatalf("canvas %d: pixel (%d,%d) is %d, darker than its item's %d", i, x, y, c.pix[y*S+x], at(x, y))
					}
				}
			}
			b := o.box
			edges := map[string]func(k int) uint8{
				"top":    func(k int) uint8 { return at(b.Min.X+k, b.Min.Y) },
				"bottom": func(k int) uint8 { return at(b.Min.X+k, b.Max.Y-1) },
				"left":   func(k int) uint8 { return at(b.Min.X, b.Min.Y+k) },
				"right":  func(k int) uint8 { return at(b.Max.X-1, b.Min.Y+k) },
			}
			for name, px := range edges {
				n := b.Dx()
				if name == "left" || name == "right" {
					n = b.Dy()
				}
				lit := false
				for k := range n {
					lit = lit || px(k) != 0
				}
				if !lit {
					t.Fatalf("canvas %d: the %s edge of box %v has no item pixel: not tight", i, name, b)
				}
			}
		}
		for j, o := range c.objects {
			for _, p := range c.objects[:j] {
				if v := iou(o.box, p.box); v > cfg.MaxIoU {
					t.Fatalf("canvas %d: boxes %v and %v have IoU %.3f > %v", i, o.box, p.box, v, cfg.MaxIoU)
				}
				if v := cover(o.box, p.box); v > maxCover {
					t.Fatalf("canvas %d: boxes %v and %v cover %.3f of the smaller", i, o.box, p.box, v)
				}
			}
		}
	}
	if objects < 150 {
		t.Errorf("%d objects on 100 canvases; want about 250", objects)
	}
}

func TestAllAreaRangesOccur(t *testing.T) {
	dir := generate(t, smallConfig(200, 1, 1), openSample(t))
	set, err := coco.Read(filepath.Join(dir, "instances_train.json"))
	if err != nil {
		t.Fatal(err)
	}
	var small, medium, large int
	for _, a := range set.Annotations {
		switch {
		case a.Area < 32*32:
			small++
		case a.Area > 96*96:
			large++
		default:
			medium++
		}
	}
	t.Logf("200 canvases: %d objects, %d small, %d medium, %d large", len(set.Annotations), small, medium, large)
	if small < 40 || medium < 40 || large < 15 {
		t.Errorf("%d small, %d medium and %d large objects; want every COCO size range well represented", small, medium, large)
	}
}

func TestRoundTripThroughCOCOAndLoad(t *testing.T) {
	ds := openSample(t)
	cfg := smallConfig(12, 6, 5)
	dir := generate(t, cfg, ds)
	g := &generator{cfg: cfg, classes: ds.Classes}
	for s, split := range splits {
		set, err := OpenSplit(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{12, 6}[s]; set.N != want || set.H != 128 || set.W != 128 {
			t.Fatalf("%s: %d images of %d×%d, want %d of 128×128", split, set.N, set.H, set.W, want)
		}
		if !slicesEqual(set.Classes, ds.Classes) || set.CategoryIDs[0] != 1 || set.CategoryIDs[9] != 10 {
			t.Fatalf("%s: classes %v with ids %v", split, set.Classes, set.CategoryIDs)
		}
		src := []*data.Split{ds.Train, ds.Test}[s]
		for i := range set.N {
			c := g.render(g.rng(s, i), src)
			if !bytes.Equal(set.Image(i), c.pix) {
				t.Fatalf("%s image %d does not read back as rendered", split, i)
			}
			if len(set.Objects[i]) != len(c.objects) {
				t.Fatalf("%s image %d: %d objects, rendered %d", split, i, len(set.Objects[i]), len(c.objects))
			}
			for j, o := range c.objects {
				got := set.Objects[i][j]
				want := coco.Box{X: float64(o.box.Min.X), Y: float64(o.box.Min.Y), W: float64(o.box.Dx()), H: float64(o.box.Dy())}
				if got.Box != want || got.Class != o.class || got.CategoryID != int64(o.class+1) {
					t.Fatalf("%s image %d object %d: %+v, rendered box %v class %d", split, i, j, got, want, o.class)
				}
			}
		}
	}
	// config.json records the configuration.
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || !strings.Contains(string(b), `"seed": 5`) {
		t.Errorf("config.json: %s, %v", b, err)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSplitsUseDisjointSources generates from a made-up source whose
// training items are squares of value 250 with even labels and whose test
// items are squares of value 100 with odd labels: training canvases must
// show only the first, validation canvases only the second.
func TestSplitsUseDisjointSources(t *testing.T) {
	mk := func(name string, value uint8, parity int) *data.Split {
		s := &data.Split{Name: name, N: 20, C: 1, H: 28, W: 28, Images: make([]uint8, 20*28*28), Labels: make([]int, 20)}
		for i := range s.N {
			img := s.Image(i)
			for y := 4 + i%5; y < 24; y++ {
				for x := 6; x < 22+i%6; x++ {
					img[y*28+x] = value
				}
			}
			s.Labels[i] = (2*i + parity) % 10
		}
		return s
	}
	ds := &data.Dataset{Classes: data.FashionMNISTClasses, Train: mk("train", 250, 0), Test: mk("test", 100, 1)}
	cfg := smallConfig(30, 30, 2)
	dir := generate(t, cfg, ds)
	for s, split := range splits {
		set, err := OpenSplit(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		var brightest uint8
		for _, v := range set.Pixels {
			brightest = max(brightest, v)
		}
		for _, objs := range set.Objects {
			for _, o := range objs {
				if o.Class%2 != s {
					t.Fatalf("%s canvas holds class %d, which only the other split's items have", split, o.Class)
				}
			}
		}
		if want := []uint8{250, 100}[s]; brightest != want {
			t.Errorf("%s canvases: brightest pixel %d, want %d (the value of its own split's items)", split, brightest, want)
		}
	}
}

func TestGenerateFromRealFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		prereq.Missing(t, "ASVIT_REQUIRE_DATA", dir+" is not installed", "run bash scripts/setup.sh")
	}
	cfg := smallConfig(10, 5, 1)
	cfg.Source = dir
	out := t.TempDir()
	if err := Generate(context.Background(), cfg, out, nil); err != nil {
		t.Fatal(err)
	}
	set, err := OpenSplit(out, "val")
	if err != nil {
		t.Fatal(err)
	}
	if set.N != 5 || set.Classes[9] != "Ankle boot" {
		t.Errorf("%d images, classes %v", set.N, set.Classes)
	}
}

func TestConfigCheck(t *testing.T) {
	if err := DefaultConfig().Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Size = 0 }, "canvas size 0"},
		{func(c *Config) { c.Train = 0 }, "at least 1 of each"},
		{func(c *Config) { c.Val = -1 }, "at least 1 of each"},
		{func(c *Config) { c.MinObjects = 0 }, "1 <= min <= max"},
		{func(c *Config) { c.MinObjects, c.MaxObjects = 3, 2 }, "1 <= min <= max"},
		{func(c *Config) { c.MaxSide = 129 }, "<= canvas size 128"},
		{func(c *Config) { c.MinSide = 2 }, "4 <= min"},
		{func(c *Config) { c.MaxIoU = math.NaN() }, "max IoU"},
		{func(c *Config) { c.Noise = 256 }, "noise 256"},
		{func(c *Config) { c.Clutter = -1 }, "clutter -1"},
	} {
		cfg := DefaultConfig()
		c.change(&cfg)
		err := cfg.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
		if err := GenerateFrom(context.Background(), cfg, openSample(t), t.TempDir(), nil); err == nil {
			t.Errorf("GenerateFrom accepts a config that Check rejects (%q)", c.want)
		}
	}
	unnamed := &data.Dataset{Train: &data.Split{Name: "train", N: 1, C: 1, H: 2, W: 2, Images: make([]uint8, 4), Labels: []int{3}}}
	unnamed.Test = unnamed.Train
	if err := GenerateFrom(context.Background(), smallConfig(1, 1, 1), unnamed, t.TempDir(), nil); err == nil ||
		!strings.Contains(err.Error(), "label 3 but there are 0 class names") {
		t.Errorf("a source without class names: got %v", err)
	}
	rgb := &data.Dataset{Train: &data.Split{Name: "train", N: 1, C: 3, H: 2, W: 2, Images: make([]uint8, 12), Labels: []int{0}}}
	rgb.Test = rgb.Train
	if err := GenerateFrom(context.Background(), smallConfig(1, 1, 1), rgb, t.TempDir(), nil); err == nil ||
		!strings.Contains(err.Error(), "3 channels") {
		t.Errorf("an RGB source: got %v", err)
	}
}

func TestResize(t *testing.T) {
	// Equal size is the identity; a constant image stays constant at any
	// size; shrinking by 2 averages 2×2 blocks.
	src := []uint8{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150}
	if got := resize(src, 4, 4, 4, 4); !bytes.Equal(got, src) {
		t.Errorf("identity resize gave %v", got)
	}
	flat := bytes.Repeat([]byte{77}, 9)
	for _, n := range []int{1, 2, 5, 17} {
		for _, v := range resize(flat, 3, 3, n, n) {
			if v != 77 {
				t.Fatalf("constant image resized to %d gave %d", n, v)
			}
		}
	}
	if got, want := resize(src, 4, 4, 2, 2), []uint8{25, 45, 105, 125}; !bytes.Equal(got, want) {
		t.Errorf("halving gave %v, want %v", got, want)
	}
}

func BenchmarkGenerate1k(b *testing.B) {
	ds := openSample(b)
	cfg := smallConfig(1000, 1, 1)
	for b.Loop() {
		if err := GenerateFrom(context.Background(), cfg, ds, b.TempDir(), nil); err != nil {
			b.Fatal(err)
		}
	}
}
