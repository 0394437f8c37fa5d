package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// encodeIDX builds an IDX file of unsigned bytes by the format's definition.
func encodeIDX(dims []int, elems []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, elems...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// synthSplit is a split made up by a test: pixel p of image i is (7i+3p)%256
// plus salt, label i % classes.
func synthSplit(name string, n, c, h, w, classes int, salt byte) *Split {
	s := &Split{Name: name, N: n, C: c, H: h, W: w, Images: make([]uint8, n*c*h*w), Labels: make([]int, n)}
	per := c * h * w
	for i := range n {
		for p := range per {
			s.Images[i*per+p] = byte(7*i+3*p) + salt
		}
		s.Labels[i] = i % classes
	}
	return s
}

// writeIDXDataset writes train and test as the four MNIST files in dir,
// gzipped if gz.
func writeIDXDataset(t testing.TB, dir string, train, test *Split, gz bool) {
	t.Helper()
	for _, part := range []struct {
		prefix string
		s      *Split
	}{{"train", train}, {"t10k", test}} {
		labels := make([]byte, part.s.N)
		for i, l := range part.s.Labels {
			labels[i] = byte(l)
		}
		images := encodeIDX([]int{part.s.N, part.s.H, part.s.W}, part.s.Images)
		labelFile := encodeIDX([]int{part.s.N}, labels)
		suffix := ""
		if gz {
			images, labelFile, suffix = gzipBytes(t, images), gzipBytes(t, labelFile), ".gz"
		}
		writeFile(t, filepath.Join(dir, part.prefix+"-images-idx3-ubyte"+suffix), images)
		writeFile(t, filepath.Join(dir, part.prefix+"-labels-idx1-ubyte"+suffix), labelFile)
	}
}

// encodeCIFAR builds a CIFAR binary file from s; each record gets
// the given label bytes, the last of which is the split's label.
func encodeCIFAR(s *Split, labelBytes int) []byte {
	var b []byte
	for i := range s.N {
		for k := range labelBytes - 1 {
			b = append(b, byte(20+k)) // a coarse label the reader must not use
		}
		b = append(b, byte(s.Labels[i]))
		b = append(b, s.Image(i)...)
	}
	return b
}

// rgbImage builds an RGB image with the given pixel function.
func rgbImage(w, h int, px func(x, y int) color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, px(x, y))
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustContain fails unless err is non-nil and its message contains each part.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !bytes.Contains([]byte(err.Error()), []byte(p)) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
