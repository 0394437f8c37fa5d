package train

import "github.com/asvit/asvit/vit"

// TrainFLOPsPerMAC is the FLOPs one training image costs per forward
// multiply-accumulate: a MAC is 2 FLOPs, and the backward pass is counted
// as twice the forward (one product for the activations' gradients, one for
// the weights'), so forward plus backward is 3 × 2 × MACs. The optimiser
// update, the loss and evaluation are not counted.
const TrainFLOPsPerMAC = 6

// PhaseCost is the training cost of one re-tokenization phase.
type PhaseCost struct {
	Stride       int     `json:"stride"`
	Dilation     int     `json:"dilation"`
	FirstEpoch   int     `json:"first_epoch"` // from 0
	Epochs       int     `json:"epochs"`
	Images       int64   `json:"images"`         // training images seen
	MACsPerImage int64   `json:"macs_per_image"` // forward, vit.Model.MACs
	TrainFLOPs   float64 `json:"train_flops"`    // TrainFLOPsPerMAC × MACsPerImage × Images
}

// Cost is the training cost of a run, phase by phase, against training at
// full resolution throughout.
type Cost struct {
	Phases     []PhaseCost `json:"phases"`
	TrainFLOPs float64     `json:"train_flops"`
	// FullFLOPs is what the same images cost at the model's own stride and
	// dilation, and Saved = 1 - TrainFLOPs/FullFLOPs.
	FullFLOPs float64 `json:"full_resolution_flops"`
	Saved     float64 `json:"flops_saved_fraction"`
}

// Accounting counts the training FLOPs of a run that trains
// imagesPerEpoch images in each epoch, epochs[i] of them in phase i with
// models[i]; full is the model at full resolution. FLOPs are float64: they
// pass 2^63 for large models on ImageNet.
func Accounting(full vit.Model, models []vit.Model, epochs []int, imagesPerEpoch int64) Cost {
	return CostOf(full.MACs(), models, vit.Model.MACs, epochs, imagesPerEpoch)
}

// CostOf is Accounting for a network built on the models' backbones:
// macs gives its forward MACs per image on a phase's model, fullMACs
// those at full resolution. Detection counts its neck and head this way.
func CostOf(fullMACs int64, models []vit.Model, macs func(vit.Model) int64, epochs []int, imagesPerEpoch int64) Cost {
	var c Cost
	first := 0
	for i, m := range models {
		p := PhaseCost{
			Stride: m.Spec().PatchStride, Dilation: m.Spec().PatchDilation,
			FirstEpoch: first, Epochs: epochs[i],
			Images:       int64(epochs[i]) * imagesPerEpoch,
			MACsPerImage: macs(m),
		}
		p.TrainFLOPs = TrainFLOPsPerMAC * float64(p.MACsPerImage) * float64(p.Images)
		c.Phases = append(c.Phases, p)
		c.TrainFLOPs += p.TrainFLOPs
		c.FullFLOPs += TrainFLOPsPerMAC * float64(fullMACs) * float64(p.Images)
		first += epochs[i]
	}
	if c.FullFLOPs > 0 {
		c.Saved = 1 - c.TrainFLOPs/c.FullFLOPs
	}
	return c
}
