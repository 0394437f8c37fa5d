package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"os"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/export"
)

// maxImageSide bounds the images predict decodes, so a huge file fails
// before it exhausts memory.
const maxImageSide = 1 << 14

// decodeImage decodes a PNG or JPEG file into channel planes, C×H×W: one
// channel for gray images, three otherwise, with any alpha composited over
// black.
func decodeImage(path string) (planes []uint8, c, h, w int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("read image: %w", err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("image %s: cannot decode it as PNG or JPEG (%v)", path, err)
	}
	if cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return nil, 0, 0, 0, fmt.Errorf("image %s is %d×%d, larger than %d on a side; shrink it first", path, cfg.Width, cfg.Height, maxImageSide)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("image %s: cannot decode it as PNG or JPEG (%v)", path, err)
	}
	r := img.Bounds()
	h, w = r.Dy(), r.Dx()
	if h == 0 || w == 0 {
		return nil, 0, 0, 0, fmt.Errorf("image %s is empty (%d×%d)", path, w, h)
	}
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		gray := image.NewGray(image.Rect(0, 0, w, h))
		draw.Draw(gray, gray.Bounds(), img, r.Min, draw.Src)
		return gray.Pix, 1, h, w, nil
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Bounds(), img, r.Min, draw.Src) // premultiplied: over black
	plane := h * w
	planes = make([]uint8, 3*plane)
	for p := range plane {
		px := rgba.Pix[4*p : 4*p+3]
		planes[p], planes[plane+p], planes[2*plane+p] = px[0], px[1], px[2]
	}
	return planes, 3, h, w, nil
}

// preprocessImage writes into dst (Channels×Image×Image values) the model
// input for the image file at path: converted to the model's channels (gray
// replicated, RGB averaged), resized bilinearly and normalised with the
// model's mean and std, exactly as training batches are made.
func preprocessImage(dst []float32, path string, meta export.Meta) error {
	planes, c, h, w, err := decodeImage(path)
	if err != nil {
		return err
	}
	split := &data.Split{Name: path, Images: planes, Labels: []int{0}, N: 1, C: c, H: h, W: w}
	l, err := data.NewLoader(split, data.LoaderOptions{
		Batch: 1, Size: meta.Image, Channels: meta.Channels, Mean: meta.Mean, Std: meta.Std,
	})
	if err != nil {
		return fmt.Errorf("image %s: %w", path, err)
	}
	defer l.Close()
	b, err := l.Gather([]int{0}, nil)
	if err != nil {
		return fmt.Errorf("image %s: %w", path, err)
	}
	copy(dst, b.X)
	return nil
}
