package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/export"
)

// testImage is a picture with the pixels the model should see, computed
// independently of the code under test: raw[c][y·size+x] on the 0..255
// scale at model resolution, in the model's channels.
type testImage struct {
	name string
	img  image.Image
	raw  func(size, channels int) [][]float64
}

// pattern is a deterministic 8-bit value for channel c at (x, y).
func pattern(c, x, y int) uint8 { return uint8((x*37 + y*91 + c*53 + x*y) % 256) }

// testImages returns images that exercise each path of preprocessing: at
// model resolution, at twice it (bilinear halving averages 2×2 blocks, as
// pixel centres align at (2i+0.5)), gray replicated, and transparent
// pixels turned black.
func testImages(size int) []testImage {
	rgb := func(side int) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				img.Set(x, y, color.RGBA{pattern(0, x, y), pattern(1, x, y), pattern(2, x, y), 255})
			}
		}
		return img
	}
	gray := image.NewGray(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			gray.SetGray(x, y, color.Gray{Y: pattern(0, x, y)})
		}
	}
	clear := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			a := uint8(255)
			if x < size/2 {
				a = 0
			}
			clear.SetNRGBA(x, y, color.NRGBA{pattern(0, x, y), pattern(1, x, y), pattern(2, x, y), a})
		}
	}
	// planes builds the raw planes from v(c, x, y), averaging RGB for gray
	// models.
	planes := func(size, channels int, v func(c, x, y int) float64) [][]float64 {
		out := make([][]float64, channels)
		for c := range out {
			out[c] = make([]float64, size*size)
			for y := range size {
				for x := range size {
					if channels == 3 {
						out[c][y*size+x] = v(c, x, y)
					} else {
						out[c][y*size+x] = (v(0, x, y) + v(1, x, y) + v(2, x, y)) / 3
					}
				}
			}
		}
		return out
	}
	return []testImage{
		{"rgb.png", rgb(size), func(s, ch int) [][]float64 {
			return planes(s, ch, func(c, x, y int) float64 { return float64(pattern(c, x, y)) })
		}},
		{"rgb2x.png", rgb(2 * size), func(s, ch int) [][]float64 {
			return planes(s, ch, func(c, x, y int) float64 {
				return (float64(pattern(c, 2*x, 2*y)) + float64(pattern(c, 2*x+1, 2*y)) +
					float64(pattern(c, 2*x, 2*y+1)) + float64(pattern(c, 2*x+1, 2*y+1))) / 4
			})
		}},
		{"gray.png", gray, func(s, ch int) [][]float64 {
			return planes(s, ch, func(_, x, y int) float64 { return float64(pattern(0, x, y)) })
		}},
		{"clear.png", clear, func(s, ch int) [][]float64 {
			return planes(s, ch, func(c, x, y int) float64 {
				if x < s/2 {
					return 0
				}
				return float64(pattern(c, x, y))
			})
		}},
	}
}

// expectedBatch writes the images into dir and returns their paths and the
// normalised batch the model should get, (v/255 − mean)/std per channel.
func expectedBatch(t *testing.T, dir string, meta export.Meta) (paths []string, batch []float32) {
	t.Helper()
	for _, ti := range testImages(meta.Image) {
		p := filepath.Join(dir, ti.name)
		writePNG(t, p, ti.img)
		paths = append(paths, p)
		for c, plane := range ti.raw(meta.Image, meta.Channels) {
			for _, v := range plane {
				batch = append(batch, float32((v/255-float64(meta.Mean[c]))/float64(meta.Std[c])))
			}
		}
	}
	return paths, batch
}

// TestPreprocessImage compares preprocessImage with the independent
// computation for RGB and gray models.
func TestPreprocessImage(t *testing.T) {
	for _, channels := range []int{3, 1} {
		meta := export.Meta{Network: export.Network{Image: 16, Channels: channels}, Mean: []float32{0.5, 0.4, 0.3}[:channels], Std: []float32{0.2, 0.25, 0.3}[:channels]}
		paths, want := expectedBatch(t, t.TempDir(), meta)
		per := channels * 16 * 16
		got := make([]float32, len(paths)*per)
		for i, p := range paths {
			if err := preprocessImage(got[i*per:(i+1)*per], p, meta); err != nil {
				t.Fatal(err)
			}
		}
		for i := range want {
			// float32 rounding of v·(1/(255·std)) − mean/std against the
			// float64 formula: values reach |5|, float32 keeps 6e-8 relative.
			if d := math.Abs(float64(got[i] - want[i])); d > 2e-6 {
				t.Fatalf("%d channels: %s value %d = %g, want %g", channels, paths[i/per], i%per, got[i], want[i])
			}
		}
	}
}

// predictJSON is predict's JSON output.
type predictJSON struct {
	Inputs   []string      `json:"inputs"`
	Logits   [][]float32   `json:"logits"`
	Top      [][]classProb `json:"top"`
	Features [][]float32   `json:"features"`
}

func predict(t *testing.T, opts predictOptions) predictJSON {
	t.Helper()
	opts.JSON = true
	opts.Top = max(opts.Top, 1)
	opts.Batch = max(opts.Batch, 16)
	var out bytes.Buffer
	if err := runPredict(context.Background(), opts, &out); err != nil {
		t.Fatalf("predict: %v", err)
	}
	var res predictJSON
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("predict --json output does not parse: %v\n%s", err, out.String())
	}
	return res
}

// TestPredictRoundTrip exports a model, runs it on PNG files and on the
// independently preprocessed batch given as .npy, and compares.
func TestPredictRoundTrip(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	names := "zero,one,two,three,four,five,six,seven,eight,nine"
	model := exportSeed(t, dir, 32, 10, func(o *exportOptions) { o.ClassNames = names })
	_, meta, err := readAsvitModel(model)
	if err != nil {
		t.Fatal(err)
	}
	paths, batch := expectedBatch(t, dir, meta)
	npy := filepath.Join(dir, "batch.npy")
	if err := data.WriteNPYFloat32(npy, []int{len(paths), 3, 32, 32}, batch); err != nil {
		t.Fatal(err)
	}
	fromImages := predict(t, predictOptions{Model: model, Images: paths, Top: 3})
	fromNPY := predict(t, predictOptions{Model: model, Inputs: npy, Top: 3, Batch: 1})
	if !slices.Equal(fromImages.Inputs, paths) || len(fromNPY.Inputs) != len(paths) {
		t.Fatalf("inputs %q and %q, want %q and %d entries", fromImages.Inputs, fromNPY.Inputs, paths, len(paths))
	}
	for i := range paths {
		a, b := fromImages.Logits[i], fromNPY.Logits[i]
		if len(a) != 10 || len(b) != 10 {
			t.Fatalf("%s: %d and %d logits, want 10", paths[i], len(a), len(b))
		}
		for j := range a {
			// The inputs differ by float32 rounding (see TestPreprocessImage)
			// and batch sizes 16 and 1 may take other kernels: logits of
			// ~0.1 differ by under 2e-7. Changing one input value by 0.05
			// moves them by ~1e-4, so 2e-6 still catches a wrong pixel.
			if d := math.Abs(float64(a[j] - b[j])); d > 2e-6 {
				t.Errorf("%s: logit %d is %g from the image, %g from the .npy batch", paths[i], j, a[j], b[j])
			}
		}
		checkTop(t, fromImages.Logits[i], fromImages.Top[i], strings.Split(names, ","), 3)
	}
}

// checkTop compares top with the k most probable classes of the softmax of
// logits, computed here in float64.
func checkTop(t *testing.T, logits []float32, top []classProb, names []string, k int) {
	t.Helper()
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v))
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	if len(top) != k {
		t.Fatalf("top has %d entries, want %d", len(top), k)
	}
	for r, c := range top {
		p := math.Exp(float64(logits[idx[r]])) / sum
		// Softmax in float64 both ways; only the summation order differs.
		if c.Class != idx[r] || c.Name != names[idx[r]] || math.Abs(c.Prob-p) > 1e-12 {
			t.Errorf("top %d: %+v, want class %d (%s) with probability %g", r+1, c, idx[r], names[idx[r]], p)
		}
	}
}

func TestTopK(t *testing.T) {
	// softmax(ln 1, ln 2, ln 2, ln 5) = 0.1, 0.2, 0.2, 0.5; ties keep class order.
	logits := []float32{0, float32(math.Log(2)), float32(math.Log(2)), float32(math.Log(5))}
	got := topK(logits, 10, nil)
	want := []classProb{{3, "", 0.5}, {1, "", 0.2}, {2, "", 0.2}, {0, "", 0.1}}
	if len(got) != len(want) {
		t.Fatalf("topK = %+v, want %+v", got, want)
	}
	for i := range want {
		// float32 logits carry 6e-8 relative error into the probabilities.
		if got[i].Class != want[i].Class || math.Abs(got[i].Prob-want[i].Prob) > 1e-6 {
			t.Errorf("topK[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := topK([]float32{1000, -1000}, 1, []string{"a", "b"}); got[0].Prob != 1 || got[0].Name != "a" {
		t.Errorf("topK of extreme logits = %+v, want a with probability 1", got)
	}
}

func TestPredictFeatures(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	model := exportSeed(t, dir, 32, 10, func(o *exportOptions) { o.Outputs = "features" })
	_, meta, err := readAsvitModel(model)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := expectedBatch(t, dir, meta)
	res := predict(t, predictOptions{Model: model, Images: paths})
	if len(res.Features) != len(paths) || len(res.Features[0]) != 256 || res.Logits != nil {
		t.Errorf("features model: %d feature vectors of %d, logits %v; want %d of 256 and no logits",
			len(res.Features), len(res.Features[0]), res.Logits, len(paths))
	}
	var out bytes.Buffer
	if err := runPredict(context.Background(), predictOptions{Model: model, Images: paths[:2], Top: 1, Batch: 1}, &out); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if f := strings.Fields(line); len(f) != 257 {
			t.Errorf("text line has %d fields, want the name and 256 values: %.80s", len(f), line)
		}
	}
}

// TestPredictText checks the text report through the application.
func TestPredictText(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	model := exportSeed(t, dir, 32, 3, func(o *exportOptions) { o.ClassNames = "cat,dog,bird" })
	img := filepath.Join(dir, "a.png")
	writePNG(t, img, testImages(32)[0].img)
	code, stdout, stderr := runApp(t, context.Background(), "predict", img, "--model", model, "--top", "10")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || lines[0] != img {
		t.Fatalf("output %q: want the file name and the 3 classes (--top capped)", stdout)
	}
	var total float64
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		var p float64
		var class int
		var name string
		if _, err := fmt.Sscanf(l, "%f %d %s", &p, &class, &name); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		total += p
		seen[name] = true
	}
	// Three probabilities printed with 4 decimals.
	if math.Abs(total-1) > 2e-4 || len(seen) != 3 {
		t.Errorf("probabilities sum to %g over classes %v; want 1 over cat, dog, bird", total, seen)
	}
}

// editMetadata writes a copy of the model at src with metadata key set to
// value, or removed when value is empty.
func editMetadata(t *testing.T, src, dst, key, value string) {
	t.Helper()
	_, m, err := readModel(src)
	if err != nil {
		t.Fatal(err)
	}
	m.MetadataProps = slices.DeleteFunc(m.MetadataProps, func(p *onnx.StringStringEntryProto) bool { return p.GetKey() == key })
	if value != "" {
		m.MetadataProps = append(m.MetadataProps, &onnx.StringStringEntryProto{Key: key, Value: value})
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPredictErrors checks that bad files exit with 1 and name the problem.
func TestPredictErrors(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	model := exportSeed(t, dir, 32, 10, nil)
	img := filepath.Join(dir, "ok.png")
	writePNG(t, img, testImages(32)[0].img)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := write("corrupt.onnx", []byte("\xff\xff\xff\xff not a protobuf"))
	noImage := filepath.Join(dir, "no-image.onnx")
	editMetadata(t, model, noImage, export.KeyImage, "")
	lying := filepath.Join(dir, "lying.onnx")
	editMetadata(t, model, lying, export.KeyImage, "64")
	badImage := write("bad.png", []byte("this is text"))
	wrongShape := filepath.Join(dir, "wrong.npy")
	if err := data.WriteNPYFloat32(wrongShape, []int{2, 3, 16, 16}, make([]float32, 2*3*16*16)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"predict", "-m", filepath.Join(dir, "missing.onnx"), img}, "missing.onnx does not exist"},
		{[]string{"predict", "-m", corrupt, img}, "corrupt.onnx is not an ONNX model"},
		{[]string{"predict", "-m", img, img}, "ok.png is not an ONNX model"},
		{[]string{"predict", "-m", noImage, img}, "metadata key asvit.image is missing"},
		{[]string{"predict", "-m", lying, img}, `declares inputs ["input" float32 [-1 3 32 32]], but its metadata implies one input "input" float32 [-1 3 64 64]`},
		{[]string{"predict", "-m", model, img, badImage}, "bad.png: cannot decode"},
		{[]string{"predict", "-m", model, filepath.Join(dir, "gone.png")}, "gone.png"},
		{[]string{"predict", "-m", model, "--inputs", wrongShape}, "wrong.npy has shape [2 3 16 16]; the model takes float32 batches N×3×32×32"},
		{[]string{"predict", "-m", model, "--inputs", badImage}, "bad.png: not a valid .npy file"},
		{[]string{"inspect", corrupt}, "corrupt.onnx is not an ONNX model"},
	} {
		code, _, stderr := runApp(t, context.Background(), c.args...)
		if code != ExitFailure || !strings.Contains(stderr, c.msg) {
			t.Errorf("asvit %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, ExitFailure, c.msg)
		}
	}
}

func TestPredictInterrupted(t *testing.T) {
	initORT(t)
	dir := t.TempDir()
	model := exportSeed(t, dir, 32, 10, nil)
	img := filepath.Join(dir, "a.png")
	writePNG(t, img, testImages(32)[0].img)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := runPredict(ctx, predictOptions{Model: model, Images: []string{img}, Top: 1, Batch: 1}, &bytes.Buffer{})
	if ExitCode(err) != ExitInterrupted {
		t.Errorf("predict with a cancelled context: %v (exit %d), want exit %d", err, ExitCode(err), ExitInterrupted)
	}
}

// TestPreprocessJPEG checks that JPEG files are read: the model input
// matches the pixels image/jpeg decodes, converted to RGB here.
func TestPreprocessJPEG(t *testing.T) {
	img := testImages(16)[0].img
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.jpg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	decoded, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	meta := export.Meta{Network: export.Network{Image: 16, Channels: 3}, Mean: imageNetMean, Std: imageNetStd}
	got := make([]float32, 3*16*16)
	if err := preprocessImage(got, path, meta); err != nil {
		t.Fatal(err)
	}
	for y := range 16 {
		for x := range 16 {
			c := color.RGBAModel.Convert(decoded.At(x, y)).(color.RGBA)
			for ch, v := range []uint8{c.R, c.G, c.B} {
				want := (float64(v)/255 - float64(meta.Mean[ch])) / float64(meta.Std[ch])
				// float32 normalisation, as in TestPreprocessImage.
				if g := got[(ch*16+y)*16+x]; math.Abs(float64(g)-want) > 2e-6 {
					t.Fatalf("channel %d at (%d, %d) = %g, want %g", ch, x, y, g, want)
				}
			}
		}
	}
}

func TestPredictEmbeddedSample(t *testing.T) {
	initORT(t)
	model := exportSeed(t, t.TempDir(), 32, 10, func(o *exportOptions) { o.Channels = 1 })
	code, out, errOut := runApp(t, context.Background(), "predict", "--model", model, "--sample", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Inputs []string    `json:"inputs"`
		Logits [][]float32 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Logits) != 3 || !strings.Contains(got.Inputs[0], "Ankle boot") {
		t.Fatalf("want 3 results, the first an ankle boot, got %v", got.Inputs)
	}
	if code, _, _ := runApp(t, context.Background(), "predict", "--model", model, "--sample", "100000"); code != ExitUsage {
		t.Fatalf("an oversized --sample: exit %d, want %d", code, ExitUsage)
	}
}
