package data

import (
	"fmt"
	"sync"
)

// Augment configures training augmentation, applied at model resolution
// after resizing, to images produced by Next only.
type Augment struct {
	// CropPad pads each side with CropPad black pixels and crops a random
	// Size×Size window back; 0 disables it.
	CropPad int
	// HFlip mirrors each image left to right with probability 1/2.
	HFlip bool
}

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	Batch int // images per batch, at least 1
	// Size is the model resolution: images become Size×Size. 0 keeps the
	// native size, which must then be square.
	Size int
	// Channels is 1 or 3: gray is replicated to 3 channels, RGB averaged to
	// 1. 0 keeps the native count.
	Channels int
	// Mean and Std normalise each output channel, x = (v/255 − Mean)/Std,
	// with one value per output channel or one for all. They are required;
	// Dataset.Normalization gives the training split's.
	Mean, Std []float32
	// Shuffle draws a new order of the split for each epoch from (Seed, epoch).
	Shuffle bool
	// Seed seeds shuffling and augmentation.
	Seed uint64
	// Augment is drawn per image from (Seed, epoch, image index).
	Augment Augment
	// DropLast drops an epoch's last batch when it would be short.
	DropLast bool
	// StartEpoch is the first epoch Next produces, for resuming.
	StartEpoch int
}

// Batch is a batch of model inputs.
type Batch struct {
	X          []float32 // N×C×H×W, normalised
	Labels     []int64   // N labels
	Index      []int     // the split index of each image
	N, C, H, W int
	// Epoch and Step place a batch from Next in the stream; Last marks its
	// epoch's last batch. They are zero for BatchAt and Gather.
	Epoch, Step int
	Last        bool

	x      []float32 // full buffers, for reuse
	labels []int64
	index  []int
}

// Shape returns the shape of X, as ONNX tensors want it.
func (b *Batch) Shape() []int64 { return []int64{int64(b.N), int64(b.C), int64(b.H), int64(b.W)} }

// prefetch is how many prepared batches wait for Next.
const prefetch = 2

// Loader turns a split into batches. Next streams batches epoch after epoch,
// shuffled and augmented as the options ask, prepared ahead by a goroutine
// that starts on the first call to Next and ends with Close. BatchAt and
// Gather read images in any order without augmentation, for evaluation.
//
// The loader reads the split's memory in place: leave the split unchanged
// while the loader is in use. Next, Release and Close are for one goroutine;
// BatchAt and Gather may run in others at the same time.
type Loader struct {
	split   *Split
	opts    LoaderOptions
	pipe    pipeline
	batches int // per epoch

	startOnce, closeOnce sync.Once
	done                 chan struct{}
	ready, free          chan *Batch
	wg                   sync.WaitGroup
}

// NewLoader checks opts and prepares a loader over split; it starts nothing.
func NewLoader(split *Split, opts LoaderOptions) (*Loader, error) {
	if err := split.check(); err != nil {
		return nil, err
	}
	if opts.Size == 0 {
		if split.H != split.W {
			return nil, fmt.Errorf("images are %d×%d, not square; set Size", split.H, split.W)
		}
		opts.Size = split.H
	}
	if opts.Channels == 0 {
		opts.Channels = split.C
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	l := &Loader{
		split:   split,
		opts:    opts,
		pipe:    newPipeline(split, opts.Size, opts.Channels, opts.Mean, opts.Std),
		batches: (split.N + opts.Batch - 1) / opts.Batch,
		done:    make(chan struct{}),
		ready:   make(chan *Batch, prefetch),
		free:    make(chan *Batch, prefetch+2),
	}
	if opts.DropLast {
		l.batches = split.N / opts.Batch
		if l.batches == 0 {
			return nil, fmt.Errorf("batch %d is larger than the split (%d images) and DropLast leaves no batch", opts.Batch, split.N)
		}
	}
	return l, nil
}

func (o LoaderOptions) check() error {
	switch {
	case o.Batch < 1:
		return fmt.Errorf("batch %d is not allowed; use at least 1", o.Batch)
	case o.Size < 1 || o.Size > maxSide:
		return fmt.Errorf("size %d is out of range; use 1..%d", o.Size, maxSide)
	case o.Channels != 1 && o.Channels != 3:
		return fmt.Errorf("channels %d is not allowed; use 1 or 3", o.Channels)
	case o.Mean == nil || o.Std == nil:
		return fmt.Errorf("mean and std are required; take them from Dataset.Normalization")
	case len(o.Mean) != 1 && len(o.Mean) != o.Channels:
		return fmt.Errorf("%d mean values for %d channels; give one per channel or one for all", len(o.Mean), o.Channels)
	case o.Augment.CropPad < 0 || o.Augment.CropPad > o.Size:
		return fmt.Errorf("crop padding %d is out of range; use 0..%d (the size)", o.Augment.CropPad, o.Size)
	case o.StartEpoch < 0:
		return fmt.Errorf("start epoch %d is negative", o.StartEpoch)
	}
	return checkNorm(o.Mean, o.Std)
}

// Len returns the number of batches in an epoch.
func (l *Loader) Len() int { return l.batches }

// NewBatch allocates a batch with room for LoaderOptions.Batch images.
func (l *Loader) NewBatch() *Batch { return l.newBatch(l.opts.Batch) }

func (l *Loader) newBatch(n int) *Batch {
	per := l.opts.Channels * l.opts.Size * l.opts.Size
	return &Batch{x: make([]float32, n*per), labels: make([]int64, n), index: make([]int, n)}
}

// Next returns the next batch of the stream, which runs epoch after epoch
// from StartEpoch without end. The batch belongs to the caller: it stays
// valid and unchanged until the caller hands it to Release, after which the
// loader refills its memory; a batch never released is left to the garbage
// collector. Next returns nil once the loader is closed.
func (l *Loader) Next() *Batch {
	select {
	case <-l.done:
		return nil
	default:
	}
	l.startOnce.Do(func() {
		l.wg.Add(1)
		go l.produce()
	})
	select {
	case b := <-l.ready:
		return b
	case <-l.done:
		return nil
	}
}

// Release hands a batch from Next back for reuse. The caller must not touch
// it afterwards.
func (l *Loader) Release(b *Batch) {
	if b == nil || len(b.labels) != l.opts.Batch {
		return
	}
	select {
	case l.free <- b:
	default:
	}
}

// Close stops the goroutine preparing batches and waits for it to end. It
// is safe to call more than once.
func (l *Loader) Close() {
	l.closeOnce.Do(func() {
		close(l.done)
		l.wg.Wait()
	})
}

// produce fills batches in stream order until Close.
func (l *Loader) produce() {
	defer l.wg.Done()
	sc := l.pipe.newScratch()
	order := make([]int, l.split.N)
	epoch, step := l.opts.StartEpoch, 0
	for {
		if step == 0 {
			l.epochOrder(order, epoch)
		}
		var b *Batch
		select {
		case b = <-l.free:
		default:
			b = l.NewBatch()
		}
		idx := order[step*l.opts.Batch : min((step+1)*l.opts.Batch, len(order))]
		l.fill(b, idx, epoch, true, sc)
		b.Epoch, b.Step, b.Last = epoch, step, step == l.batches-1
		select {
		case l.ready <- b:
		case <-l.done:
			return
		}
		if step++; step == l.batches {
			epoch, step = epoch+1, 0
		}
	}
}

// fill writes the images idx into b, augmented for the epoch if asked.
func (l *Loader) fill(b *Batch, idx []int, epoch int, augment bool, sc *scratch) {
	n, S := len(idx), l.opts.Size
	per := l.opts.Channels * S * S
	b.N, b.C, b.H, b.W = n, l.opts.Channels, S, S
	b.X, b.Labels, b.Index = b.x[:n*per], b.labels[:n], b.index[:n]
	b.Epoch, b.Step, b.Last = 0, 0, false
	for j, i := range idx {
		var v view
		if augment {
			v = l.augmentation(epoch, i)
		}
		l.pipe.image(b.X[j*per:(j+1)*per], i, v, sc)
		b.Labels[j], b.Index[j] = int64(l.split.Labels[i]), i
	}
}

// Gather writes the images idx of the split, in that order and without
// augmentation, into dst and returns it. When dst is nil or too small it
// returns a new batch with room for at least LoaderOptions.Batch images.
func (l *Loader) Gather(idx []int, dst *Batch) (*Batch, error) {
	for _, i := range idx {
		if i < 0 || i >= l.split.N {
			return nil, fmt.Errorf("image index %d is out of range 0..%d", i, l.split.N-1)
		}
	}
	if dst == nil || len(dst.labels) < len(idx) {
		dst = l.newBatch(max(len(idx), l.opts.Batch))
	}
	l.fill(dst, idx, 0, false, l.pipe.newScratch())
	return dst, nil
}

// BatchAt returns batch i (0 ≤ i < Len()) of the split in stored order,
// without shuffling or augmentation, written into dst as Gather does.
func (l *Loader) BatchAt(i int, dst *Batch) (*Batch, error) {
	if i < 0 || i >= l.batches {
		return nil, fmt.Errorf("batch %d is out of range 0..%d", i, l.batches-1)
	}
	idx := make([]int, 0, l.opts.Batch)
	for j := i * l.opts.Batch; j < min((i+1)*l.opts.Batch, l.split.N); j++ {
		idx = append(idx, j)
	}
	return l.Gather(idx, dst)
}
