package data

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOpenCIFAR10ReadsBatchesInNumericOrder(t *testing.T) {
	dir := t.TempDir()
	b1 := synthSplit("train", 3, 3, 32, 32, 10, 1)
	b2 := synthSplit("train", 2, 3, 32, 32, 10, 2)
	b10 := synthSplit("train", 4, 3, 32, 32, 10, 10)
	test := synthSplit("test", 5, 3, 32, 32, 10, 99)
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), encodeCIFAR(b1, 1))
	writeFile(t, filepath.Join(dir, "data_batch_10.bin"), encodeCIFAR(b10, 1))
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), encodeCIFAR(b2, 1))
	writeFile(t, filepath.Join(dir, "test_batch.bin"), encodeCIFAR(test, 1))
	names := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n"
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte(names))
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatCIFAR10 || !slices.Equal(d.Classes, strings.Fields(names)) {
		t.Errorf("format %q classes %v", d.Format, d.Classes)
	}
	want := slices.Concat(b1.Images, b2.Images, b10.Images)
	wantLabels := slices.Concat(b1.Labels, b2.Labels, b10.Labels)
	if d.Train.N != 9 || !bytes.Equal(d.Train.Images, want) || !slices.Equal(d.Train.Labels, wantLabels) {
		t.Errorf("training split differs from batches 1, 2, 10 concatenated")
	}
	if d.Test.N != 5 || !bytes.Equal(d.Test.Images, test.Images) || d.Test.C != 3 || d.Test.H != 32 {
		t.Errorf("test split differs from test_batch.bin")
	}
}

func TestOpenCIFAR10DefaultNames(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), encodeCIFAR(synthSplit("train", 2, 3, 32, 32, 10, 0), 1))
	writeFile(t, filepath.Join(dir, "test_batch.bin"), encodeCIFAR(synthSplit("test", 2, 3, 32, 32, 10, 0), 1))
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, CIFAR10Classes) {
		t.Errorf("classes %v, want %v", d.Classes, CIFAR10Classes)
	}
}

func TestOpenCIFAR100UsesFineLabels(t *testing.T) {
	dir := t.TempDir()
	train := synthSplit("train", 120, 3, 32, 32, 100, 0)
	test := synthSplit("test", 3, 3, 32, 32, 100, 5)
	writeFile(t, filepath.Join(dir, "train.bin"), encodeCIFAR(train, 2))
	writeFile(t, filepath.Join(dir, "test.bin"), encodeCIFAR(test, 2))
	var names []string
	for i := range 100 {
		names = append(names, "class"+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	writeFile(t, filepath.Join(dir, "fine_label_names.txt"), []byte(strings.Join(names, "\n")))
	d, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatCIFAR100 || !slices.Equal(d.Classes, names) {
		t.Errorf("format %q, %d classes", d.Format, len(d.Classes))
	}
	// encodeCIFAR puts coarse label 20 first; the fine labels run to 99.
	if !slices.Equal(d.Train.Labels, train.Labels) || !bytes.Equal(d.Train.Images, train.Images) {
		t.Errorf("training labels or images differ: got labels %v…", d.Train.Labels[:5])
	}
}

func TestOpenCIFARErrorsNameTheFile(t *testing.T) {
	good := synthSplit("train", 3, 3, 32, 32, 10, 0)
	for _, c := range []struct {
		name, file string
		b          []byte
		want       []string
	}{
		{"truncated", "data_batch_1.bin", encodeCIFAR(good, 1)[:3*3073-5], []string{"data_batch_1.bin", "truncated", "3068 bytes left over"}},
		{"label out of range", "test_batch.bin", func() []byte {
			b := encodeCIFAR(good, 1)
			b[2*3073] = 10
			return b
		}(), []string{"test_batch.bin", "label 10 of item 2", "0..9"}},
		{"empty", "test_batch.bin", nil, []string{"test_batch.bin", "empty"}},
		{"meta with 9 names", "batches.meta.txt", []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n"), []string{"batches.meta.txt", "9 class names, want 10"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "data_batch_1.bin"), encodeCIFAR(good, 1))
			writeFile(t, filepath.Join(dir, "test_batch.bin"), encodeCIFAR(good, 1))
			writeFile(t, filepath.Join(dir, c.file), c.b)
			_, err := Open(dir, OpenOptions{})
			mustContain(t, err, c.want...)
		})
	}
}

func TestOpenCIFARSkipBadCountsDroppedRecords(t *testing.T) {
	dir := t.TempDir()
	train := synthSplit("train", 5, 3, 32, 32, 100, 0)
	b := encodeCIFAR(train, 2)
	b[1*3074+1], b[3*3074+1] = 100, 255 // two fine labels out of range
	writeFile(t, filepath.Join(dir, "train.bin"), b)
	writeFile(t, filepath.Join(dir, "test.bin"), encodeCIFAR(synthSplit("test", 2, 3, 32, 32, 100, 0), 2))
	d, err := Open(dir, OpenOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Skipped != 2 || !slices.Equal(d.Train.Labels, []int{0, 2, 4}) {
		t.Fatalf("skipped %d, labels %v; want 2 skipped, labels [0 2 4]", d.Train.Skipped, d.Train.Labels)
	}
	if !bytes.Equal(d.Train.Image(2), train.Image(4)) {
		t.Error("the third kept image is not original image 4")
	}
}

func FuzzParseCIFAR(f *testing.F) {
	f.Add(encodeCIFAR(synthSplit("x", 2, 3, 32, 32, 10, 0), 1), true)
	f.Add(encodeCIFAR(synthSplit("x", 1, 3, 32, 32, 100, 0), 2), false)
	f.Add(make([]byte, 3073+1), true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, b []byte, cifar10 bool) {
		labelBytes, labelAt := 2, 1
		if cifar10 {
			labelBytes, labelAt = 1, 0
		}
		pix, labels, err := parseCIFAR(b, labelBytes, labelAt)
		if err != nil {
			return
		}
		rec := labelBytes + cifarPixels
		if len(labels)*rec != len(b) || len(pix) != len(labels)*cifarPixels {
			t.Fatalf("%d bytes gave %d labels and %d pixels", len(b), len(labels), len(pix))
		}
		for i, l := range labels {
			if l != int(b[i*rec+labelAt]) || !bytes.Equal(pix[i*cifarPixels:(i+1)*cifarPixels], b[i*rec+labelBytes:(i+1)*rec]) {
				t.Fatalf("record %d not copied faithfully", i)
			}
		}
	})
}

func BenchmarkParseCIFAR(b *testing.B) {
	file := encodeCIFAR(synthSplit("train", 10000, 3, 32, 32, 10, 0), 1)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, _, err := parseCIFAR(file, 1, 0); err != nil {
			b.Fatal(err)
		}
	}
}
