package study

import "github.com/asvit/asvit/runs"

// Measures are a topology's counts and proxies at initialisation, all on
// the same probe batch (see package proxies and complexity for each one's
// definition).
type Measures struct {
	Params           int64      `json:"params"`
	FLOPs            int64      `json:"flops"` // 2 × multiply-accumulates per image
	NTKCond          runs.Float `json:"ntk_cond"`
	LengthDistortion runs.Float `json:"length_distortion"`
	Bad              bool       `json:"bad"` // κ not finite or Θ singular
	GradNorm         runs.Float `json:"grad_norm"`
	SNIP             runs.Float `json:"snip"`
	Synflow          runs.Float `json:"synflow"`
	NASWOT           runs.Float `json:"naswot"`
	DSS              runs.Float `json:"dss"`
	// Wall times: κ and L^E together, and the other proxies together.
	ComplexitySeconds float64 `json:"complexity_seconds"`
	ProxySeconds      float64 `json:"proxy_seconds"`
}

// Trained is the outcome of one training of a topology.
type Trained struct {
	Seed       uint64     `json:"seed"`
	BestEpoch  int        `json:"best_epoch"` // chosen on validation
	ValAcc     runs.Float `json:"val_acc"`
	TestAcc    runs.Float `json:"test_acc"` // of the epoch validation chose
	Seconds    float64    `json:"seconds"`  // in training steps
	ImagesPerS float64    `json:"images_per_s"`
}

// Record kinds of log.jsonl.
const (
	kindMeasure = "measure"
	kindTrain   = "train"
)

// record is one line of log.jsonl: a topology measured or trained once.
type record struct {
	Kind     string    `json:"kind"`
	Index    int       `json:"index"`
	Arch     string    `json:"arch"`
	Measures *Measures `json:"measures,omitempty"`
	Trained  *Trained  `json:"trained,omitempty"`
}

// state is the checkpoint: how many records the log holds.
type state struct {
	Records int `json:"records"`
}

// Row is one topology with everything the study learnt about it.
type Row struct {
	Candidate
	Measures
	Trainings []Trained `json:"trainings"` // in Config.TrainSeeds order
}

// complete reports whether r has its measures and every training.
func (r Row) complete(seeds int) bool { return r.Params > 0 && len(r.Trainings) == seeds }

// meanAcc returns the mean validation and test accuracy over r's trainings.
func (r Row) meanAcc() (val, test float64) {
	for _, t := range r.Trainings {
		val += float64(t.ValAcc)
		test += float64(t.TestAcc)
	}
	n := float64(len(r.Trainings))
	return val / n, test / n
}
