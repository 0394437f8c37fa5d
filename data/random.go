package data

import "math/rand/v2"

// Random streams are told apart by these domain constants.
const (
	shuffleDomain = 0x5348_5546_464c_4531
	augmentDomain = 0x4155_474d_454e_5431
)

// mix64 is the SplitMix64 finaliser, a bijective hash of 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// epochOrder writes the image order of an epoch into order.
func (l *Loader) epochOrder(order []int, epoch int) {
	for i := range order {
		order[i] = i
	}
	if l.opts.Shuffle {
		r := rand.New(rand.NewPCG(l.opts.Seed, mix64(shuffleDomain^uint64(epoch))))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
}

// augmentation draws the view of image i in an epoch.
func (l *Loader) augmentation(epoch, i int) view {
	a := l.opts.Augment
	if a.CropPad == 0 && !a.HFlip {
		return view{}
	}
	var pcg rand.PCG
	pcg.Seed(l.opts.Seed, mix64(mix64(augmentDomain^uint64(epoch))^uint64(i)))
	u := pcg.Uint64()
	n := uint64(2*a.CropPad + 1)
	// Multiply-shift maps 32 random bits onto [0, n) with negligible bias.
	return view{
		pad:  a.CropPad,
		oy:   int((u & 0xffff_ffff) * n >> 32),
		ox:   int((u >> 32) * n >> 32),
		flip: a.HFlip && pcg.Uint64()>>63 == 1,
	}
}
