package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// Kind names detection runs and the format of their files. The execution
// options (threads, device) may change on resume.
// Format 2 stores box sizes as fractions of the image side; format 1 runs
// (sizes in output-stride cells) are refused.
var Kind = runs.Kind{Name: "detect", Format: 2, Free: []string{"ort"}}

// Names of the files a run writes in its directory besides those of
// package runs (config.json, log.jsonl, result.json).
const (
	LastFile        = "last"
	BestFile        = "best"
	CurvesFile      = "learning_curve.png"
	PredictionsFile = "predictions_val.json" // the best checkpoint's, COCO results
	SamplesFile     = "samples_val.png"
)

// Result is the content of result.json.
type Result struct {
	Arch     string `json:"arch"`
	Schedule string `json:"schedule"`
	Image    int    `json:"image"`
	Width    int    `json:"width"`
	Classes  int    `json:"classes"`
	Epochs   int    `json:"epochs"`
	Steps    int    `json:"steps"`
	Params   int64  `json:"params"`
	// TrainImages and ValImages count the canvases of the two splits.
	TrainImages int `json:"train_images"`
	ValImages   int `json:"val_images"`
	// BestEpoch (from 1) has the highest validation AP; Val is its COCO
	// summary, which PredictionsFile rescored reproduces. FinalVal is the
	// last epoch's.
	BestEpoch int          `json:"best_epoch"`
	Val       coco.Summary `json:"val"`
	FinalVal  coco.Summary `json:"final_val"`
	// TrainImagesPerS is training images over the seconds spent in
	// training steps (data and targets included, evaluation excluded).
	TrainImagesPerS float64   `json:"train_images_per_s"`
	TrainSeconds    float64   `json:"train_seconds"`
	SecondsPerEpoch []float64 `json:"seconds_per_epoch"` // training plus evaluation
	// MACs counts the forward pass per image at the backbone's own
	// tokenizer; TrainFLOPsPerImage is the run's training FLOPs over the
	// images it trained on (train.TrainFLOPsPerMAC × MACs, averaged over
	// the re-tokenization phases), and Cost splits them by phase.
	MACs               MACs    `json:"macs_per_image"`
	TrainFLOPsPerImage float64 `json:"train_flops_per_image"`
	train.Cost
}

// StepInfo describes a finished training step.
type StepInfo struct {
	train.StepInfo
	HeatmapLoss, BoxLoss float64
}

// Progress receives a run's progress. Its methods are called from Run's
// goroutine and should return quickly.
type Progress interface {
	Step(StepInfo)
	Epoch(EpochRecord)
}

// NopProgress ignores everything.
type NopProgress struct{}

// Step does nothing.
func (NopProgress) Step(StepInfo) {}

// Epoch does nothing.
func (NopProgress) Epoch(EpochRecord) {}

// run is a detection run in progress.
type run struct {
	cfg       Config
	width     int
	dataDir   string
	trainSet  *detdata.Set
	valSet    *detdata.Set
	info      ModelInfo // without the tokenizer
	fullBack  vit.Model // the backbone at its own stride and dilation
	backbones []vit.Model
	sched     train.Schedule
	models    []Model // one per phase
	epochs    []int   // per phase
	perEpoch  int
	lr        train.LRSchedule
	logEvery  int
	loader    *detdata.Loader
	stepper   *Stepper
	dir       *runs.Dir
	last      *Checkpoint // the checkpoint a resume starts from; nil when none
	state     CheckpointHeader
	history   []EpochRecord
}

// Run trains a detector on cfg.Arch as cfg says, writing its files into
// cfg.Out through package runs (config.json, log.jsonl, result.json), the
// LastFile and BestFile checkpoints, CurvesFile, PredictionsFile and
// SamplesFile. progress may be nil.
//
// Each epoch trains on shuffled full batches of the training canvases (a
// short last batch is dropped), flipped as cfg.Flip says, and then scores
// the validation split with the COCO protocol; the best validation AP
// chooses the BestFile checkpoint, whose predictions on the validation
// split are written as PredictionsFile. There is no test split: the
// validation canvases come from the item source's test split, so they
// show items never trained on. The re-tokenization schedule picks the
// backbone's patch stride and dilation of each epoch; the learning rate
// follows train.LRSchedule over all steps.
//
// # Resuming
//
// The last checkpoint is written at each epoch's end, every
// cfg.CheckpointEvery steps, and when ctx is cancelled (after the step in
// flight). With cfg.Resume, Run continues from it: weights, moments, step,
// the position in the data stream and the epoch's running sums, so the
// continued run computes what an uninterrupted one would have, bit for bit
// when ONNX Runtime is. A kill loses the steps since the last checkpoint,
// and the log is cut back to the records that checkpoint covers. A resume
// whose configuration differs from config.json is refused, naming the
// keys; the ORT options may differ.
func Run(ctx context.Context, cfg Config, progress Progress) (Result, error) {
	if progress == nil {
		progress = NopProgress{}
	}
	r, err := newRun(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	if err := r.train(ctx, progress); err != nil {
		return Result{}, err
	}
	return r.finish()
}

// newRun checks cfg, reads (or makes) the data, prepares the run directory
// and the stepper, and restores the last checkpoint when resuming. What
// can be checked without the run directory is checked before it is made.
func newRun(ctx context.Context, cfg Config) (*run, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := ort.Init(); err != nil { // before anything is written
		return nil, err
	}
	r := &run{cfg: cfg, width: cfg.Width, dataDir: cfg.Data}
	if r.width == 0 {
		r.width = DefaultWidth
	}
	if err := r.open(ctx); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// open does newRun's work on r.
func (r *run) open(ctx context.Context) (err error) {
	image, trainN := 0, 0
	if r.dataDir == "" {
		d := DefaultData()
		image, trainN = d.Size, d.Train
	} else {
		if err := r.loadData(); err != nil {
			return err
		}
		image, trainN = r.trainSet.W, r.trainSet.N
	}
	if err := r.plan(image, trainN); err != nil {
		return err
	}
	if r.dir, err = runs.OpenExternal(r.cfg.Out, Kind, r.cfg, r.cfg.Resume, r.readLast); err != nil {
		return err
	}
	if r.dataDir == "" {
		r.dataDir = filepath.Join(r.cfg.Out, DataDir)
		if err := r.makeDefaultData(ctx); err != nil {
			return err
		}
		if err := r.loadData(); err != nil {
			return err
		}
	}
	if err := r.buildModels(); err != nil {
		return err
	}
	if r.loader, err = detdata.NewLoader(r.trainSet, detdata.LoaderOptions{
		Batch: r.cfg.Batch, Mean: r.info.Mean, Std: r.info.Std, Shuffle: true, Seed: r.cfg.Seed, DropLast: true,
	}); err != nil {
		return fmt.Errorf("training split: %w", err)
	}
	epoch := 0
	if r.last != nil {
		epoch = min(r.last.Epoch, r.cfg.Epochs-1)
	}
	full, err := New(r.fullBack, len(r.info.Classes), r.width)
	if err != nil {
		return err
	}
	if r.stepper, err = NewStepper(r.models[train.PhaseAt(r.epochs, epoch)], full.Init(r.cfg.Seed), r.cfg.Batch, r.cfg.WD, r.cfg.ORT); err != nil {
		return err
	}
	return r.restore()
}

// loadData reads both splits of the set in r.dataDir and derives the
// normalisation from the training split.
func (r *run) loadData() (err error) {
	if st, err := os.Stat(r.dataDir); err != nil || !st.IsDir() {
		return fmt.Errorf("data: %s is not a directory; make a set with 'asvit detect make-data' or leave --data empty for the default one", r.dataDir)
	}
	if r.trainSet, err = detdata.OpenSplit(r.dataDir, detdata.TrainSplit); err != nil {
		return fmt.Errorf("data: training split: %w", err)
	}
	if r.valSet, err = detdata.OpenSplit(r.dataDir, detdata.ValSplit); err != nil {
		return fmt.Errorf("data: validation split: %w", err)
	}
	t, v := r.trainSet, r.valSet
	switch {
	case t.H != t.W:
		return fmt.Errorf("data: the canvases are %d×%d; the detector takes square ones", t.W, t.H)
	case v.H != t.H || v.W != t.W:
		return fmt.Errorf("data: validation canvases are %d×%d, training canvases %d×%d; they must be of one size", v.W, v.H, t.W, t.H)
	}
	r.info = ModelInfo{Arch: r.cfg.Arch, Image: t.W, Width: r.width, Classes: t.Classes, CategoryIDs: t.CategoryIDs}
	r.info.Mean, r.info.Std = t.Stats()
	if !(r.info.Std > 0) {
		return fmt.Errorf("data: the training canvases are all one gray level; nothing to learn")
	}
	if err := r.info.checkSet(v); err != nil {
		return fmt.Errorf("data: validation split: %w", err)
	}
	return nil
}

// makeDefaultData generates DefaultData into r.dataDir unless a complete
// set is there (Generate writes its config.json last).
func (r *run) makeDefaultData(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(r.dataDir, runs.ConfigFile)); err == nil {
		return nil
	}
	if err := detdata.Generate(ctx, DefaultData(), r.dataDir, nil); err != nil {
		return fmt.Errorf("default data: %w", err)
	}
	return nil
}

// plan builds the backbone of each phase, the schedule and the step
// counts for canvases of image pixels and trainN training canvases.
func (r *run) plan(image, trainN int) error {
	top, err := vit.Parse(r.cfg.Arch)
	if err != nil {
		return fmt.Errorf("arch: %w", err)
	}
	spec := vit.NewSpec(top, image, 1)
	spec.Channels = 1
	if r.fullBack, err = vit.New(spec); err != nil {
		return fmt.Errorf("arch %s on %d px canvases: %w; use a smaller patch stride or embedding kernel, or larger canvases", r.cfg.Arch, image, err)
	}
	r.sched = train.DefaultSchedule(spec)
	if r.cfg.Retoken != "" {
		if r.sched, err = train.ParseSchedule(r.cfg.Retoken); err != nil {
			return err
		}
	}
	if r.backbones, err = r.sched.Models(spec); err != nil {
		return fmt.Errorf("arch %s on %d px canvases: %w", r.cfg.Arch, image, err)
	}
	for i, b := range append([]vit.Model{r.fullBack}, r.backbones...) {
		if _, err := New(b, 1, r.width); err != nil {
			if i == 0 {
				return fmt.Errorf("arch %s on %d px canvases: %w", r.cfg.Arch, image, err)
			}
			return fmt.Errorf("arch %s on %d px canvases, retoken phase %d: %w", r.cfg.Arch, image, i, err)
		}
	}
	r.epochs = r.sched.Epochs(r.cfg.Epochs)
	r.perEpoch = trainN / r.cfg.Batch
	if r.perEpoch == 0 {
		return fmt.Errorf("batch %d is larger than the %d training canvases; use a smaller batch", r.cfg.Batch, trainN)
	}
	total := r.perEpoch * r.cfg.Epochs
	r.lr = train.LRSchedule{Peak: r.cfg.LR, Warmup: int(math.Round(r.cfg.Warmup * float64(total))), Total: total}
	r.logEvery = r.cfg.LogEvery
	if r.logEvery == 0 {
		r.logEvery = max(1, total/curvePoints)
	}
	return nil
}

// buildModels makes the detector of each phase for the data's classes:
// the full-resolution detector on each phase's backbone geometry.
func (r *run) buildModels() error {
	full, err := New(r.fullBack, len(r.info.Classes), r.width)
	if err != nil {
		return err
	}
	r.models = make([]Model, len(r.backbones))
	for i, b := range r.backbones {
		if r.models[i], err = full.WithBackbone(b); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) path(name string) string { return filepath.Join(r.cfg.Out, name) }

// readLast reads the last checkpoint for a resume and returns the size of
// the log it covers: 0 when the run was killed before its first one.
func (r *run) readLast() (int64, error) {
	c, err := ReadCheckpoint(r.path(LastFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	r.last = c
	return c.LogSize, nil
}

// ReadConfig returns the configuration a run in dir was started with, with
// Out set to dir and Resume set: what resuming it takes.
func ReadConfig(dir string) (Config, error) {
	var c Config
	if err := runs.ReadConfig(dir, Kind, &c); err != nil {
		return c, fmt.Errorf("detect: %w", err)
	}
	c.Out, c.Resume = dir, true
	return c, nil
}

// DataPath returns the data directory of a run started with c in c.Out.
func DataPath(c Config) string {
	if c.Data == "" {
		return filepath.Join(c.Out, DataDir)
	}
	return c.Data
}

// restore loads the last checkpoint into the stepper and the run state and
// the finished epochs from the log; a run killed before its first
// checkpoint starts again from step 0.
func (r *run) restore() error {
	c := r.last
	if c == nil {
		return nil
	}
	if !c.Model.sameData(r.info) {
		return fmt.Errorf("resume: %s was trained on other data (classes, canvas size or pixel statistics differ); start a new run", r.path(LastFile))
	}
	if err := train.CheckTensors(c.Tensors, train.StateTensors(r.models[0].ParamTable())); err != nil {
		return fmt.Errorf("resume: %s: %w", r.path(LastFile), err)
	}
	if c.Epoch > r.cfg.Epochs || c.EpochStep > r.perEpoch || c.Step != c.Epoch*r.perEpoch+c.EpochStep {
		return fmt.Errorf("resume: checkpoint at epoch %d, step %d does not fit a run of %d epochs of %d steps", c.Epoch, c.Step, r.cfg.Epochs, r.perEpoch)
	}
	n := len(c.Data) / 3
	if err := r.stepper.AdamW().SetState(c.Step, c.Data[:n], c.Data[n:2*n], c.Data[2*n:]); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	r.state = c.CheckpointHeader
	epochs, _, err := ReadLog(r.cfg.Out)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if len(epochs) != c.Epoch {
		return fmt.Errorf("resume: %s holds %d epoch records, the checkpoint %s %d epochs; the directory was altered, start a new run",
			runs.LogFile, len(epochs), LastFile, c.Epoch)
	}
	r.history, r.last = epochs, nil
	return nil
}

// checkpoint writes the stepper's state and the run state to name.
func (r *run) checkpoint(name string) error {
	steps, params, m, v := r.stepper.AdamW().State()
	h := r.state
	h.Model = r.info
	spec := r.stepper.Model().Backbone().Spec()
	h.Model.PatchStride, h.Model.PatchDilation = spec.PatchStride, spec.PatchDilation
	h.Step, h.LogSize = steps, r.dir.LogSize()
	h.Tensors = train.StateTensors(r.stepper.Model().ParamTable())
	all := append(append(append([][]float32{}, params...), m...), v...)
	if err := train.WriteTensorFile(r.path(name), h, all); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return nil
}

func (r *run) close() {
	if r.dir != nil {
		r.dir.Close()
	}
	r.stepper.Destroy()
}

// train runs the remaining epochs.
func (r *run) train(ctx context.Context, progress Progress) error {
	total := r.perEpoch * r.cfg.Epochs
	boxes := make([][]Box, r.cfg.Batch)
	var b *detdata.Batch
	for r.state.Epoch < r.cfg.Epochs {
		phase := train.PhaseAt(r.epochs, r.state.Epoch)
		if r.stepper.Model().Backbone().Spec() != r.models[phase].Backbone().Spec() {
			if err := r.stepper.SetModel(r.models[phase], r.cfg.ORT); err != nil {
				return err
			}
		}
		for r.state.EpochStep < r.perEpoch {
			if err := ctx.Err(); err != nil {
				return errors.Join(err, r.checkpoint(LastFile))
			}
			t0 := time.Now()
			var err error
			if b, err = r.loader.Batch(r.state.Epoch, r.state.EpochStep, b); err != nil {
				return err
			}
			r.augment(b, boxes)
			lr := r.lr.At(r.stepper.AdamW().Steps())
			res, err := r.stepper.Step(b.X, boxes, lr)
			if err != nil {
				return fmt.Errorf("epoch %d: %w", r.state.Epoch+1, err)
			}
			run := &r.state.Running
			n := float64(r.cfg.Batch)
			run.Loss += res.Loss * n
			run.HeatmapLoss += res.HeatmapLoss * n
			run.BoxLoss += res.BoxLoss * n
			run.Images += int64(r.cfg.Batch)
			run.Seconds += time.Since(t0).Seconds()
			r.state.EpochStep++
			step := r.stepper.AdamW().Steps()
			if step%r.logEvery == 0 {
				rec := StepRecord{StepRecord: train.StepRecord{Kind: train.KindStep, Epoch: r.state.Epoch + 1, Step: step,
					Phase: phase + 1, Loss: res.Loss, LR: lr}, HeatmapLoss: res.HeatmapLoss, BoxLoss: res.BoxLoss}
				if err := r.dir.Append(rec); err != nil {
					return err
				}
			}
			if r.cfg.CheckpointEvery > 0 && step%r.cfg.CheckpointEvery == 0 {
				if err := r.checkpoint(LastFile); err != nil {
					return err
				}
			}
			ips := float64(run.Images) / run.Seconds
			progress.Step(StepInfo{StepInfo: train.StepInfo{
				Epoch: r.state.Epoch + 1, Epochs: r.cfg.Epochs, Step: step, Steps: total, Phase: phase + 1,
				Loss: res.Loss, LR: lr, ImagesPerS: ips,
				ETA: time.Duration(float64((total-step)*r.cfg.Batch) / ips * float64(time.Second)),
			}, HeatmapLoss: res.HeatmapLoss, BoxLoss: res.BoxLoss})
		}
		if err := r.endEpoch(phase, progress); err != nil {
			return err
		}
	}
	return nil
}

// augment fills boxes with the objects of batch b and, with Config.Flip,
// mirrors the images drawn for it and their boxes.
func (r *run) augment(b *detdata.Batch, boxes [][]Box) {
	per := b.H * b.W
	for j, objs := range b.Objects {
		flip := r.cfg.Flip && flipped(r.cfg.Seed, r.state.Epoch, b.Index[j])
		if flip {
			flipImage(b.X[j*per:(j+1)*per], b.H, b.W)
		}
		list := boxes[j][:0]
		for _, o := range objs {
			box := Box{X: o.Box.X, Y: o.Box.Y, W: o.Box.W, H: o.Box.H, Class: o.Class}
			if flip {
				box = flipBox(box, b.W)
			}
			list = append(list, box)
		}
		boxes[j] = list
	}
}

// endEpoch evaluates, logs, and writes the checkpoints: best (when the
// validation AP improved) before last, so that last never promises a best
// that is not on disk.
func (r *run) endEpoch(phase int, progress Progress) error {
	t0 := time.Now()
	m := r.stepper.Model()
	e, err := evaluate(r.valSet, r.info.Mean, r.info.Std, r.cfg.Batch, m, r.stepper.Forward)
	if err != nil {
		return fmt.Errorf("epoch %d: validation: %w", r.state.Epoch+1, err)
	}
	evalSeconds := time.Since(t0).Seconds()
	run := r.state.Running
	spec := m.Backbone().Spec()
	images := float64(run.Images)
	rec := EpochRecord{
		Kind: train.KindEpoch, Epoch: r.state.Epoch + 1, Step: r.stepper.AdamW().Steps(), Phase: phase + 1,
		Stride: spec.PatchStride, Dilation: spec.PatchDilation,
		LR:        r.lr.At(r.stepper.AdamW().Steps() - 1),
		TrainLoss: run.Loss / images, TrainHeatmapLoss: run.HeatmapLoss / images, TrainBoxLoss: run.BoxLoss / images,
		Val:          e.COCO.Summary,
		TrainSeconds: run.Seconds, EvalSeconds: evalSeconds,
		ImagesPerS: images / run.Seconds, EvalImagesPerS: float64(r.valSet.N) / evalSeconds,
	}
	if err := r.dir.Append(rec); err != nil {
		return err
	}
	r.history = append(r.history, rec)
	r.state.Epoch++
	r.state.EpochStep = 0
	r.state.TrainSeconds += run.Seconds
	r.state.Running = EpochSums{}
	if r.state.BestEpoch == 0 || rec.Val.AP > r.state.BestAP {
		r.state.BestEpoch, r.state.BestAP = rec.Epoch, rec.Val.AP
		if err := r.checkpoint(BestFile); err != nil {
			return err
		}
	}
	if err := r.checkpoint(LastFile); err != nil {
		return err
	}
	progress.Epoch(rec)
	return nil
}

// finish writes the best checkpoint's validation predictions and samples,
// result.json and the learning curves.
func (r *run) finish() (Result, error) {
	best, err := ReadCheckpoint(r.path(BestFile))
	if err != nil {
		return Result{}, err
	}
	p, err := NewPredictor(best.Model, best.Params(), r.cfg.Batch, r.cfg.ORT)
	if err != nil {
		return Result{}, err
	}
	defer p.Destroy()
	e, err := p.Evaluate(r.valSet)
	if err != nil {
		return Result{}, fmt.Errorf("best checkpoint: %w", err)
	}
	if err := coco.WriteResults(r.path(PredictionsFile), e.Results); err != nil {
		return Result{}, err
	}
	if err := DrawSamples(r.path(SamplesFile), r.valSet, e.Detections, SampleCount, SampleMinScore); err != nil {
		return Result{}, err
	}
	full, err := New(r.fullBack, len(r.info.Classes), r.width)
	if err != nil {
		return Result{}, err
	}
	images := int64(r.perEpoch * r.cfg.Batch)
	phaseMACs := map[vit.Spec]int64{}
	for _, m := range r.models {
		phaseMACs[m.Backbone().Spec()] = m.MACs().Total
	}
	macs := func(b vit.Model) int64 { return phaseMACs[b.Spec()] }
	res := Result{
		Arch: r.fullBack.Spec().Topology.String(), Schedule: r.sched.String(),
		Image: r.info.Image, Width: r.width, Classes: len(r.info.Classes),
		Epochs: r.cfg.Epochs, Steps: r.stepper.AdamW().Steps(), Params: full.Params(),
		TrainImages: r.trainSet.N, ValImages: r.valSet.N, BestEpoch: r.state.BestEpoch,
		TrainSeconds: r.state.TrainSeconds, MACs: full.MACs(),
		Cost: train.CostOf(full.MACs().Total, r.backbones, macs, r.epochs, images),
	}
	for _, h := range r.history {
		res.SecondsPerEpoch = append(res.SecondsPerEpoch, h.TrainSeconds+h.EvalSeconds)
		res.FinalVal = h.Val
		if h.Epoch == res.BestEpoch {
			res.Val = h.Val
		}
	}
	if res.TrainSeconds > 0 {
		res.TrainImagesPerS = float64(res.Steps*r.cfg.Batch) / res.TrainSeconds
	}
	if n := images * int64(r.cfg.Epochs); n > 0 {
		res.TrainFLOPsPerImage = res.TrainFLOPs / float64(n)
	}
	if err := r.dir.WriteResult(res); err != nil {
		return Result{}, err
	}
	return res, Plot(r.cfg.Out)
}
