package detect

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/detdata"
)

// The samples a run draws: the first SampleCount validation canvases, with
// the detections of at least SampleMinScore.
const (
	SampleCount    = 8
	SampleMinScore = 0.3
)

// Colours of the drawings.
var (
	TruthColor     = color.RGBA{R: 44, G: 160, B: 44, A: 255}  // green
	PredictedColor = color.RGBA{R: 255, G: 127, B: 14, A: 255} // orange
	labelText      = color.RGBA{A: 255}
	sampleGap      = color.RGBA{R: 48, G: 48, B: 48, A: 255}
)

// MinDrawSide is the side a drawn image is scaled up to at least (by a
// whole factor, nearest neighbour), so that boxes and labels stay legible.
const MinDrawSide = 256

// DrawScale returns the least whole factor that brings the longer side of
// a w×h image to MinDrawSide or more, at least 1.
func DrawScale(w, h int) int {
	side := max(w, h, 1)
	return max(1, (MinDrawSide+side-1)/side)
}

// Annotate returns img scaled up by a whole factor scale with the boxes of
// truth (TruthColor) and the detections (PredictedColor, labelled with the
// class name from classes and the score) drawn over it. Coordinates are
// those of img.
func Annotate(img image.Image, scale int, truth []Box, dets []Detection, classes []string) *image.RGBA {
	scale = max(1, scale)
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			out.Set(x, y, img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
		}
	}
	s := float64(scale)
	for _, t := range truth {
		drawRect(out, t.X*s, t.Y*s, (t.X+t.W)*s, (t.Y+t.H)*s, TruthColor)
	}
	for _, d := range dets {
		drawRect(out, d.X*s, d.Y*s, (d.X+d.W)*s, (d.Y+d.H)*s, PredictedColor)
	}
	for _, d := range dets { // labels over every box
		name := fmt.Sprint(d.Class)
		if d.Class >= 0 && d.Class < len(classes) {
			name = classes[d.Class]
		}
		drawLabel(out, int(d.X*s), int(d.Y*s), fmt.Sprintf("%s %.2f", name, d.Score), PredictedColor)
	}
	return out
}

// drawRect draws the outline of the box (x0, y0)–(x1, y1), two pixels
// wide, inside it.
func drawRect(img *image.RGBA, x0, y0, x1, y1 float64, c color.Color) {
	r := image.Rect(int(x0), int(y0), int(x1+0.5), int(y1+0.5)).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	const t = 2
	for _, side := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+t)}, {image.Pt(r.Min.X, r.Max.Y-t), r.Max},
		{r.Min, image.Pt(r.Min.X+t, r.Max.Y)}, {image.Pt(r.Max.X-t, r.Min.Y), r.Max},
	} {
		draw.Draw(img, side.Intersect(r), image.NewUniform(c), image.Point{}, draw.Src)
	}
}

// drawLabel writes text on a patch of colour bg whose bottom-left corner is
// (x, y), moved inside img.
func drawLabel(img *image.RGBA, x, y int, text string, bg color.Color) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil() + 4
	h := face.Height + 2
	x = max(img.Rect.Min.X, min(x, img.Rect.Max.X-w))
	y = max(img.Rect.Min.Y+h, min(y, img.Rect.Max.Y))
	draw.Draw(img, image.Rect(x, y-h, x+w, y).Intersect(img.Rect), image.NewUniform(bg), image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.NewUniform(labelText), Face: face,
		Dot: fixed.P(x+2, y-2-face.Descent)}
	d.DrawString(text)
}

// DrawSamples draws the first n canvases of set in a grid, four to a row,
// with their true boxes and those of dets (the detections of each image of
// set) scoring at least minScore, and writes it to path as a PNG,
// atomically.
func DrawSamples(path string, set *detdata.Set, dets [][]Detection, n int, minScore float64) error {
	n = min(n, set.N, len(dets))
	if n < 1 {
		return fmt.Errorf("samples %s: no images to draw", path)
	}
	scale := DrawScale(set.W, set.H)
	tw, th := set.W*scale, set.H*scale
	const gap, header = 4, 20
	cols := min(4, n)
	rows := (n + cols - 1) / cols
	grid := image.NewRGBA(image.Rect(0, 0, cols*tw+(cols+1)*gap, header+rows*th+(rows+1)*gap))
	draw.Draw(grid, grid.Rect, image.NewUniform(sampleGap), image.Point{}, draw.Src)
	drawLabel(grid, gap, header-2, "true boxes", TruthColor)
	drawLabel(grid, gap+90, header-2, fmt.Sprintf("detections, score >= %.2f", minScore), PredictedColor)
	for i := range n {
		gray := &image.Gray{Pix: set.Image(i), Stride: set.W, Rect: image.Rect(0, 0, set.W, set.H)}
		var truth []Box
		for _, o := range set.Objects[i] {
			truth = append(truth, Box{X: o.Box.X, Y: o.Box.Y, W: o.Box.W, H: o.Box.H, Class: o.Class})
		}
		var shown []Detection
		for _, d := range dets[i] {
			if d.Score >= minScore {
				shown = append(shown, d)
			}
		}
		tile := Annotate(gray, scale, truth, shown, set.Classes)
		at := image.Pt(gap+(i%cols)*(tw+gap), header+gap+(i/cols)*(th+gap))
		draw.Draw(grid, tile.Rect.Add(at), tile, image.Point{}, draw.Src)
	}
	return WritePNG(path, grid)
}

// WritePNG encodes img as a PNG file at path, atomically.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}
