package data

import (
	"bytes"
	"image"
	"image/color"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpenImageFolder(t *testing.T) {
	dir := t.TempDir()
	red := rgbImage(4, 3, func(x, y int) color.RGBA { return color.RGBA{uint8(10 * x), uint8(10 * y), 200, 255} })
	big := rgbImage(8, 6, func(x, y int) color.RGBA { return color.RGBA{50, 60, 70, 255} })
	gray := image.NewGray(image.Rect(0, 0, 4, 3))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(20 * i)
	}
	writeFile(t, filepath.Join(dir, "train", "dog", "b.png"), encodePNG(t, big))
	writeFile(t, filepath.Join(dir, "train", "dog", "a.PNG"), encodePNG(t, gray))
	writeFile(t, filepath.Join(dir, "train", "cat", "z.png"), encodePNG(t, red))
	writeFile(t, filepath.Join(dir, "train", "cat", "notes.txt"), []byte("ignored"))
	writeFile(t, filepath.Join(dir, "train", ".hidden", "x.png"), encodePNG(t, red))
	writeFile(t, filepath.Join(dir, "val", "dog", "c.jpeg"), encodeJPEG(t, big))
	writeFile(t, filepath.Join(dir, "test", "cat", "ignored-since-val-exists.png"), encodePNG(t, red))
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatImageFolder || !slices.Equal(d.Classes, []string{"cat", "dog"}) {
		t.Fatalf("format %q classes %v", d.Format, d.Classes)
	}
	// The first image (cat/z.png, 4×3 RGB) sets size and channels.
	tr := d.Train
	if tr.N != 3 || tr.C != 3 || tr.H != 3 || tr.W != 4 || !slices.Equal(tr.Labels, []int{0, 1, 1}) {
		t.Fatalf("train: %d×%d×%d×%d labels %v", tr.N, tr.C, tr.H, tr.W, tr.Labels)
	}
	for p := range 12 { // cat/z.png, plane by plane
		x, y := p%4, p/4
		if got := [3]uint8{tr.Images[p], tr.Images[12+p], tr.Images[24+p]}; got != [3]uint8{uint8(10 * x), uint8(10 * y), 200} {
			t.Fatalf("pixel (%d,%d) = %v", x, y, got)
		}
	}
	if img := tr.Image(1); !bytes.Equal(img[:12], gray.Pix) || !bytes.Equal(img[12:24], gray.Pix) {
		t.Error("gray dog/a.PNG is not replicated to the three channels")
	}
	want := slices.Concat(bytes.Repeat([]byte{50}, 12), bytes.Repeat([]byte{60}, 12), bytes.Repeat([]byte{70}, 12))
	if !bytes.Equal(tr.Image(2), want) { // the uniform 8×6 image shrunk stays uniform
		t.Errorf("resized uniform image = %v", tr.Image(2))
	}
	if d.Test.N != 1 || d.Test.Labels[0] != 1 {
		t.Errorf("val: %d images, labels %v; want the one dog", d.Test.N, d.Test.Labels)
	}
}

func TestOpenImageFolderOptionsSetSizeAndChannels(t *testing.T) {
	dir := t.TempDir()
	img := rgbImage(6, 6, func(x, y int) color.RGBA { return color.RGBA{30, 60, 90, 255} })
	writeFile(t, filepath.Join(dir, "train", "a", "1.png"), encodePNG(t, img))
	writeFile(t, filepath.Join(dir, "test", "a", "1.jpg"), encodeJPEG(t, img))
	d, err := Open(dir, OpenOptions{Height: 2, Width: 3, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if tr := d.Train; tr.C != 1 || tr.H != 2 || tr.W != 3 || !bytes.Equal(tr.Images, []byte{60, 60, 60, 60, 60, 60}) {
		t.Fatalf("train %d×%d×%d images %v; want the RGB mean 60 at 1×2×3", tr.C, tr.H, tr.W, tr.Images)
	}
}

func TestOpenImageFolderBadImages(t *testing.T) {
	dir := t.TempDir()
	img := encodePNG(t, rgbImage(2, 2, func(x, y int) color.RGBA { return color.RGBA{1, 2, 3, 255} }))
	writeFile(t, filepath.Join(dir, "train", "a", "1.png"), img)
	writeFile(t, filepath.Join(dir, "train", "a", "2.png"), []byte("not a png"))
	writeFile(t, filepath.Join(dir, "train", "b", "3.jpg"), img[:len(img)/2])
	writeFile(t, filepath.Join(dir, "val", "b", "4.png"), img)
	_, err := Open(dir, OpenOptions{})
	mustContain(t, err, filepath.Join(dir, "train", "a", "2.png"), "decode")
	d, err := Open(dir, OpenOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 1 || d.Train.Skipped != 2 || d.Test.N != 1 || d.Test.Skipped != 0 {
		t.Errorf("train kept %d skipped %d, test kept %d skipped %d; want 1, 2, 1, 0",
			d.Train.N, d.Train.Skipped, d.Test.N, d.Test.Skipped)
	}
}

func TestOpenImageFolderLayoutErrors(t *testing.T) {
	img := encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2)))
	noVal := t.TempDir()
	writeFile(t, filepath.Join(noVal, "train", "a", "1.png"), img)
	_, err := Open(noVal, OpenOptions{})
	mustContain(t, err, "missing val/ or test/")
	stray := t.TempDir()
	writeFile(t, filepath.Join(stray, "train", "a", "1.png"), img)
	writeFile(t, filepath.Join(stray, "val", "zebra", "1.png"), img)
	_, err = Open(stray, OpenOptions{})
	mustContain(t, err, `class "zebra"`, filepath.Join(stray, "val"))
}

func BenchmarkOpenImageFolder(b *testing.B) {
	dir := b.TempDir()
	img := rgbImage(32, 32, func(x, y int) color.RGBA { return color.RGBA{uint8(x), uint8(y), uint8(x + y), 255} })
	png := encodePNG(b, img)
	for i := range 100 {
		writeFile(b, filepath.Join(dir, "train", string(rune('a'+i%10)), string(rune('a'+i/10))+".png"), png)
	}
	writeFile(b, filepath.Join(dir, "val", "a", "x.png"), png)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(dir, OpenOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
