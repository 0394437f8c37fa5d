package data

import (
	"math"
	"slices"
	"testing"
	"testing/synctest"
)

// refImage computes a loader output from definitions, in float64: bilinear
// resize, channel conversion, zero padding, crop window at (oy, ox), mirror,
// then (v/255 − mean)/std.
func refImage(s *Split, i, size, ch int, mean, std []float32, pad, oy, ox int, flip bool) []float64 {
	plane := s.H * s.W
	var planes [][]float64
	for c := range s.C {
		src := s.Image(i)[c*plane : (c+1)*plane]
		planes = append(planes, bilinearRef(src, s.H, s.W, size, size))
	}
	switch {
	case s.C == 1 && ch == 3:
		planes = [][]float64{planes[0], planes[0], planes[0]}
	case s.C == 3 && ch == 1:
		avg := make([]float64, size*size)
		for p := range avg {
			avg[p] = (planes[0][p] + planes[1][p] + planes[2][p]) / 3
		}
		planes = [][]float64{avg}
	}
	out := make([]float64, 0, ch*size*size)
	for c, pl := range planes {
		m, sd := float64(mean[min(c, len(mean)-1)]), float64(std[min(c, len(std)-1)])
		for y := range size {
			for x := range size {
				xx := x
				if flip {
					xx = size - 1 - x
				}
				py, px := y+oy-pad, xx+ox-pad // position in the unpadded image
				v := 0.0
				if py >= 0 && py < size && px >= 0 && px < size {
					v = pl[py*size+px]
				}
				out = append(out, (v/255-m)/sd)
			}
		}
	}
	return out
}

// maxDiff returns the largest absolute difference between got and want.
func maxDiff(got []float32, want []float64) float64 {
	d := 0.0
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-want[i]))
	}
	return d
}

// float32 arithmetic on values of magnitude below 10 stays within 1e-4 of
// the float64 reference (relative rounding ~1e-7 over a few operations).
const pipeTol = 1e-4

func TestPipelineMatchesReference(t *testing.T) {
	mean, std := []float32{0.2, 0.4, 0.6}, []float32{0.3, 0.25, 0.5}
	views := []view{{}, {pad: 2, oy: 0, ox: 4}, {pad: 2, oy: 3, ox: 1, flip: true}, {flip: true}, {pad: 3, oy: 6, ox: 0}}
	for _, c := range []struct{ srcC, h, w, size, ch int }{
		{1, 6, 6, 6, 1}, {1, 6, 6, 6, 3}, {3, 6, 6, 6, 1}, {3, 6, 6, 6, 3},
		{1, 5, 7, 9, 3}, {3, 9, 8, 4, 3}, {3, 7, 7, 10, 1},
	} {
		s := synthSplit("x", 2, c.srcC, c.h, c.w, 1, 0)
		p := newPipeline(s, c.size, c.ch, mean[:c.ch], std[:c.ch])
		sc := p.newScratch()
		dst := make([]float32, c.ch*c.size*c.size)
		for _, v := range views {
			p.image(dst, 1, v, sc)
			want := refImage(s, 1, c.size, c.ch, mean, std, v.pad, v.oy, v.ox, v.flip)
			if d := maxDiff(dst, want); d > pipeTol {
				t.Errorf("%+v view %+v: max difference %g", c, v, d)
			}
		}
	}
}

func TestPipelineCropAndFlipHandMade(t *testing.T) {
	s := &Split{N: 1, C: 1, H: 3, W: 3, Images: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}, Labels: []int{0}}
	p := newPipeline(s, 3, 1, []float32{0}, []float32{1.0 / 255}) // x = v
	dst := make([]float32, 9)
	for _, c := range []struct {
		v    view
		want []float32
	}{
		// Padded by 1, the window starting at row 0, column 2 holds
		// [0 0 0; 2 3 0; 5 6 0]; mirrored it reads as below.
		{view{pad: 1, oy: 0, ox: 2, flip: true}, []float32{0, 0, 0, 0, 3, 2, 0, 6, 5}},
		{view{pad: 1, oy: 0, ox: 2}, []float32{0, 0, 0, 2, 3, 0, 5, 6, 0}},
		{view{pad: 1, oy: 2, ox: 0}, []float32{0, 4, 5, 0, 7, 8, 0, 0, 0}},
		{view{flip: true}, []float32{3, 2, 1, 6, 5, 4, 9, 8, 7}},
		{view{pad: 3, oy: 0, ox: 0}, make([]float32, 9)}, // the window sees only padding
	} {
		p.image(dst, 0, c.v, p.newScratch())
		for i := range dst {
			if math.Abs(float64(dst[i]-c.want[i])) > 1e-5 { // 1/(255·(1/255)) rounds to 1 ± 1e-7
				t.Fatalf("view %+v: got %v, want %v", c.v, dst, c.want)
			}
		}
	}
}

func TestLoaderShapesAndLastBatch(t *testing.T) {
	s := synthSplit("train", 10, 1, 8, 8, 3, 0)
	for _, c := range []struct {
		dropLast  bool
		wantLen   int
		wantSizes []int
	}{{false, 3, []int{4, 4, 2}}, {true, 2, []int{4, 4}}} {
		l, err := NewLoader(s, LoaderOptions{Batch: 4, Size: 12, Channels: 3, Mean: []float32{0.5}, Std: []float32{0.2}, DropLast: c.dropLast})
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != c.wantLen {
			t.Errorf("DropLast=%v: Len %d, want %d", c.dropLast, l.Len(), c.wantLen)
		}
		for step, n := range append(c.wantSizes, c.wantSizes[0]) { // into the next epoch
			b := l.Next()
			if b.N != n || len(b.X) != n*3*12*12 || len(b.Labels) != n || len(b.Index) != n ||
				!slices.Equal(b.Shape(), []int64{int64(n), 3, 12, 12}) {
				t.Errorf("DropLast=%v step %d: N %d, len X %d, shape %v; want %d images", c.dropLast, step, b.N, len(b.X), b.Shape(), n)
			}
			wantEpoch, wantStep := step/c.wantLen, step%c.wantLen
			if b.Epoch != wantEpoch || b.Step != wantStep || b.Last != (wantStep == c.wantLen-1) {
				t.Errorf("DropLast=%v: batch %d is epoch %d step %d last %v", c.dropLast, step, b.Epoch, b.Step, b.Last)
			}
			for j, i := range b.Index {
				if b.Labels[j] != int64(s.Labels[i]) {
					t.Errorf("label of image %d is %d, want %d", i, b.Labels[j], s.Labels[i])
				}
			}
			l.Release(b)
		}
		l.Close()
	}
}

// stream collects the image indices and a digest of each image of the first
// n batches.
func stream(t *testing.T, s *Split, opts LoaderOptions, n int) (idx []int, digests []float64) {
	t.Helper()
	l, err := NewLoader(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	per := opts.Channels * opts.Size * opts.Size
	for range n {
		b := l.Next()
		idx = append(idx, b.Index...)
		for j := range b.N {
			d := 0.0
			for k, v := range b.X[j*per : (j+1)*per] {
				d += float64(k+1) * float64(v)
			}
			digests = append(digests, d)
		}
		l.Release(b)
	}
	return idx, digests
}

func TestLoaderShuffleAndAugmentAreDeterministic(t *testing.T) {
	s := synthSplit("train", 50, 3, 8, 8, 10, 0)
	opts := LoaderOptions{Batch: 10, Size: 8, Channels: 3, Mean: []float32{0.5}, Std: []float32{0.25},
		Shuffle: true, Seed: 7, Augment: Augment{CropPad: 2, HFlip: true}}
	idxA, xA := stream(t, s, opts, 10) // two epochs
	idxB, xB := stream(t, s, opts, 10)
	if !slices.Equal(idxA, idxB) || !slices.Equal(xA, xB) {
		t.Fatal("two loaders with the same seed gave different streams")
	}
	for e := range 2 { // each epoch is a permutation, and the two differ
		if got := slices.Sorted(slices.Values(idxA[50*e : 50*(e+1)])); !slices.Equal(got, seq(50)) {
			t.Fatalf("epoch %d is not a permutation of the split", e)
		}
	}
	if slices.Equal(idxA[:50], idxA[50:]) || slices.Equal(idxA[:50], seq(50)) {
		t.Error("epochs share an order, or the order is not shuffled")
	}
	other := opts
	other.Seed = 8
	idxC, _ := stream(t, s, other, 5)
	if slices.Equal(idxA[:50], idxC) {
		t.Error("seeds 7 and 8 gave the same order")
	}
	// Augmentation depends on (seed, epoch, index) only: not on the order
	// or the batch size.
	unshuffled := opts
	unshuffled.Shuffle, unshuffled.Batch = false, 7
	idxD, xD := stream(t, s, unshuffled, 7) // 49 images of epoch 0
	for k, i := range idxD {
		if j := slices.Index(idxA[:50], i); xD[k] != xA[j] {
			t.Fatalf("image %d augmented differently with another batch size or order", i)
		}
	}
	unshuffled.Seed = 8
	_, xE := stream(t, s, unshuffled, 7)
	if slices.Equal(xD, xE) {
		t.Error("seeds 7 and 8 gave the same augmentation")
	}
	// A new epoch draws new views: at most a few of 50 images may repeat
	// theirs (each does so with probability 1/50).
	same := 0
	for k, i := range idxA[:50] {
		if j := 50 + slices.Index(idxA[50:], i); xA[k] == xA[j] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("%d of 50 images kept their augmentation in the next epoch", same)
	}
	// Resuming at epoch 1 reproduces the second epoch.
	resumed := opts
	resumed.StartEpoch = 1
	idxF, xF := stream(t, s, resumed, 5)
	if !slices.Equal(idxF, idxA[50:]) || !slices.Equal(xF, xA[50:]) {
		t.Error("StartEpoch 1 does not reproduce epoch 1")
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestLoaderAugmentDrawsEveryView(t *testing.T) {
	s := synthSplit("train", 400, 1, 5, 5, 10, 0)
	mean, std := []float32{0.5}, []float32{0.25}
	const pad = 2
	l, err := NewLoader(s, LoaderOptions{Batch: 100, Mean: mean, Std: std, Seed: 3, Augment: Augment{CropPad: pad, HFlip: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	seen := map[view]int{}
	for range 8 { // two epochs, 800 draws over 50 views
		b := l.Next()
		for j, i := range b.Index {
			got := b.X[j*25 : (j+1)*25]
			match := false
			for oy := range 2*pad + 1 {
				for ox := range 2*pad + 1 {
					for _, flip := range []bool{false, true} {
						if maxDiff(got, refImage(s, i, 5, 1, mean, std, pad, oy, ox, flip)) < pipeTol {
							seen[view{pad, oy, ox, flip}]++
							match = true
						}
					}
				}
			}
			if !match {
				t.Fatalf("image %d is no padded crop or mirror of itself", i)
			}
		}
		l.Release(b)
	}
	// Several views can coincide on one image, so count at least each once.
	if len(seen) != 2*(2*pad+1)*(2*pad+1) {
		t.Errorf("saw %d of the %d views", len(seen), 2*(2*pad+1)*(2*pad+1))
	}
}

func TestLoaderNormalisesSplitToZeroMeanUnitStd(t *testing.T) {
	gray, err := OpenSample(OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rgb := &Dataset{Train: synthSplit("train", 300, 3, 9, 9, 10, 0)}
	rgb.Train.Images[5] = 255 // break the synthetic pattern's symmetry
	rgb.Mean, rgb.Std = pixelStats(rgb.Train, 3)
	for _, c := range []struct {
		d  *Dataset
		ch int
	}{{gray, 1}, {gray, 3}, {rgb, 3}, {rgb, 1}} {
		mean, std, err := c.d.Normalization(c.ch)
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewLoader(c.d.Train, LoaderOptions{Batch: 64, Channels: c.ch, Mean: mean, Std: std})
		if err != nil {
			t.Fatal(err)
		}
		sum, sumSq, n := make([]float64, c.ch), make([]float64, c.ch), 0.0
		var b *Batch
		for i := range l.Len() {
			if b, err = l.BatchAt(i, b); err != nil {
				t.Fatal(err)
			}
			plane := b.H * b.W
			for k := range b.N * b.C {
				for _, v := range b.X[k*plane : (k+1)*plane] {
					sum[k%b.C] += float64(v)
					sumSq[k%b.C] += float64(v) * float64(v)
				}
			}
			n += float64(b.N * plane)
		}
		for k := range c.ch {
			m := sum[k] / n
			sd := math.Sqrt(sumSq[k]/n - m*m)
			// Stats are exact in float64, rounded to float32 (1e-7 relative);
			// float32 outputs add ~1e-7 each, averaging out: 1e-4 is ample.
			if math.Abs(m) > 1e-4 || math.Abs(sd-1) > 1e-4 {
				t.Errorf("%d→%d channels: channel %d has mean %g std %g", c.d.Train.C, c.ch, k, m, sd)
			}
		}
	}
}

func TestNormalizationOfAveragedRGB(t *testing.T) {
	s := synthSplit("train", 20, 3, 4, 4, 2, 9)
	d := &Dataset{Train: s}
	d.Mean, d.Std = pixelStats(s, 3)
	mean, std, err := d.Normalization(1)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sumSq float64
	plane := 16
	for i := range s.N {
		img := s.Image(i)
		for p := range plane {
			v := (float64(img[p]) + float64(img[plane+p]) + float64(img[2*plane+p])) / 3 / 255
			sum, sumSq = sum+v, sumSq+v*v
		}
	}
	n := float64(s.N * plane)
	m := sum / n
	sd := math.Sqrt(sumSq/n - m*m)
	if math.Abs(float64(mean[0])-m) > 1e-6 || math.Abs(float64(std[0])-sd) > 1e-6 { // float32 rounding
		t.Errorf("Normalization(1) = %v, %v; want %g, %g", mean, std, m, sd)
	}
	if _, _, err := d.Normalization(2); err == nil {
		t.Error("Normalization(2) succeeded")
	}
}

func TestLoaderBatchAtAndGather(t *testing.T) {
	s := synthSplit("test", 10, 1, 6, 6, 10, 0)
	mean, std := []float32{0.1}, []float32{0.3}
	l, err := NewLoader(s, LoaderOptions{Batch: 4, Size: 6, Channels: 1, Mean: mean, Std: std,
		Shuffle: true, Augment: Augment{CropPad: 2, HFlip: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, err := l.BatchAt(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Index, []int{8, 9}) {
		t.Fatalf("batch 2 holds images %v, want [8 9]", b.Index)
	}
	for j, i := range b.Index { // in order and without augmentation
		if d := maxDiff(b.X[j*36:(j+1)*36], refImage(s, i, 6, 1, mean, std, 0, 0, 0, false)); d > pipeTol {
			t.Errorf("image %d differs from the plain image by %g", i, d)
		}
	}
	g, err := l.Gather([]int{7, 0, 7}, b)
	if err != nil {
		t.Fatal(err)
	}
	if g != b || !slices.Equal(g.Index, []int{7, 0, 7}) || !slices.Equal(g.Labels, []int64{7, 0, 7}) {
		t.Errorf("Gather did not reuse dst or mixed the order: %v", g.Index)
	}
	if _, err := l.BatchAt(3, nil); err == nil {
		t.Error("BatchAt past the end succeeded")
	}
	if _, err := l.Gather([]int{10}, nil); err == nil {
		t.Error("Gather of index 10 of 10 succeeded")
	}
}

func TestLoaderHeldBatchStaysIntactAndReleasedOnesAreReused(t *testing.T) {
	s := synthSplit("train", 1000, 3, 8, 8, 10, 0)
	l, err := NewLoader(s, LoaderOptions{Batch: 10, Size: 8, Mean: []float32{0.5}, Std: []float32{0.5}, Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := l.Next()
	snapshot := slices.Clone(held.X)
	for range 20 {
		l.Release(l.Next())
	}
	if !slices.Equal(held.X, snapshot) {
		t.Fatal("a batch not yet released was overwritten")
	}
	allocs := testing.AllocsPerRun(50, func() { l.Release(l.Next()) })
	if allocs >= 1 {
		t.Errorf("%.1f allocations per batch with Release; want buffers reused", allocs)
	}
}

func TestLoaderCloseLeavesNoGoroutine(t *testing.T) {
	s := synthSplit("train", 64, 1, 8, 8, 10, 0)
	opts := LoaderOptions{Batch: 8, Mean: []float32{0.5}, Std: []float32{0.5}}
	// synctest.Test fails if a goroutine started in the bubble outlives it.
	synctest.Test(t, func(t *testing.T) {
		l, err := NewLoader(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		l.Next() // the producer now blocks with full buffers
		synctest.Wait()
		l.Close()
		l.Close()
		if l.Next() != nil {
			t.Error("Next after Close returned a batch")
		}
	})
	synctest.Test(t, func(t *testing.T) {
		l, err := NewLoader(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		l.Close() // never started
	})
}

func TestNewLoaderRejectsBadOptions(t *testing.T) {
	s := synthSplit("train", 5, 1, 4, 6, 10, 0)
	ok := LoaderOptions{Batch: 2, Size: 4, Mean: []float32{0.5}, Std: []float32{0.5}}
	for _, c := range []struct {
		edit func(*LoaderOptions)
		want string
	}{
		{func(o *LoaderOptions) { o.Batch = 0 }, "batch 0"},
		{func(o *LoaderOptions) { o.Size = 0 }, "not square"},
		{func(o *LoaderOptions) { o.Channels = 2 }, "channels 2"},
		{func(o *LoaderOptions) { o.Mean, o.Std = nil, nil }, "Dataset.Normalization"},
		{func(o *LoaderOptions) { o.Mean, o.Std = []float32{1, 2}, []float32{1, 2} }, "2 mean values for 1 channels"},
		{func(o *LoaderOptions) { o.Std = []float32{0} }, "std of channel 0"},
		{func(o *LoaderOptions) { o.Augment.CropPad = 5 }, "crop padding 5"},
		{func(o *LoaderOptions) { o.Batch, o.DropLast = 6, true }, "no batch"},
	} {
		o := ok
		c.edit(&o)
		_, err := NewLoader(s, o)
		mustContain(t, err, c.want)
	}
	for _, c := range []struct {
		s    *Split
		want string
	}{
		{nil, "no images"},
		{&Split{}, "no images"},
		{&Split{N: 1, C: 4, H: 2, W: 2, Images: make([]uint8, 16), Labels: []int{0}}, "4 channels"},
		{&Split{N: 2, C: 1, H: 2, W: 2, Images: make([]uint8, 7), Labels: []int{0, 0}}, "7 pixel bytes"},
	} {
		_, err := NewLoader(c.s, ok)
		mustContain(t, err, c.want)
	}
}

func benchmarkLoader(b *testing.B, s *Split, opts LoaderOptions) {
	l, err := NewLoader(s, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for b.Loop() {
		l.Release(l.Next())
	}
	b.ReportMetric(float64(b.N*opts.Batch)/b.Elapsed().Seconds(), "images/s")
}

// CIFAR-like: 3×32×32 at 32 px, shuffled, crop and flip.
func BenchmarkLoaderCIFAR32(b *testing.B) {
	benchmarkLoader(b, synthSplit("train", 5000, 3, 32, 32, 10, 0), LoaderOptions{Batch: 128, Size: 32,
		Mean: []float32{0.49, 0.48, 0.45}, Std: []float32{0.25, 0.24, 0.26}, Shuffle: true, Augment: Augment{CropPad: 4, HFlip: true}})
}

// MNIST-like: 1×28×28 resized to 32 px and replicated to 3 channels.
func BenchmarkLoaderMNIST28To32RGB(b *testing.B) {
	benchmarkLoader(b, synthSplit("train", 5000, 1, 28, 28, 10, 0), LoaderOptions{Batch: 128, Size: 32, Channels: 3,
		Mean: []float32{0.13}, Std: []float32{0.31}, Shuffle: true, Augment: Augment{CropPad: 4, HFlip: true}})
}

// ImageNet-like resolution: 3×64×64 resized to 224 px, no augmentation.
func BenchmarkLoader224(b *testing.B) {
	benchmarkLoader(b, synthSplit("train", 500, 3, 64, 64, 10, 0), LoaderOptions{Batch: 16, Size: 224,
		Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}, Shuffle: true})
}
