package train

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"time"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// Kind names training runs and the format of their files. The execution
// options (threads, device) may change on resume.
var Kind = runs.Kind{Name: "train", Format: 1, Free: []string{"ort"}}

// Names of the files a run writes in its directory besides those of
// package runs (config.json, log.jsonl, result.json) and CurvesFile.
const (
	LastFile  = "last"
	BestFile  = "best"
	ModelFile = "model.onnx"
)

// configFile is the config that config.json records: the Config and what
// it resolved to, which exporting a checkpoint needs without the data.
type configFile struct {
	Config
	Schedule string   `json:"schedule"` // the schedule in force, defaults resolved
	Classes  []string `json:"classes"`
	Input    input    `json:"input"`
}

// input is how the model's input is made from the data.
type input struct {
	Channels int       `json:"channels"`
	Mean     []float32 `json:"mean"` // per channel, on the [0,1] scale
	Std      []float32 `json:"std"`
}

// Result is the content of result.json.
type Result struct {
	Arch     string `json:"arch"`
	Schedule string `json:"schedule"`
	Epochs   int    `json:"epochs"`
	Steps    int    `json:"steps"`
	Params   int64  `json:"params"`
	// TrainImages and ValImages count the images trained on and held out.
	TrainImages int `json:"train_images"`
	ValImages   int `json:"val_images"`
	// BestEpoch (from 1) is the epoch of the exported weights: the best
	// validation accuracy, or the last epoch without a validation split.
	// ValAcc and TestAcc are that epoch's; the test split chose nothing.
	BestEpoch    int     `json:"best_epoch"`
	ValAcc       float64 `json:"val_acc"`
	TestAcc      float64 `json:"test_acc"`
	FinalValAcc  float64 `json:"final_val_acc"` // after the last epoch
	FinalTestAcc float64 `json:"final_test_acc"`
	// TrainImagesPerS is training images over the seconds spent in
	// training steps (data loading included, evaluation excluded).
	TrainImagesPerS float64   `json:"train_images_per_s"`
	TrainSeconds    float64   `json:"train_seconds"`
	SecondsPerEpoch []float64 `json:"seconds_per_epoch"` // training plus evaluation
	Cost
}

// run is a training run in progress.
type run struct {
	given    Config // as the caller gave it
	cfg      Config // with the dataset's channels filled in
	ds       *data.Dataset
	trainSet *data.Split // what the validation split and the cap leave
	valSet   *data.Split // nil without a validation split
	mean     []float32
	std      []float32
	full     vit.Model // the model at its own stride and dilation
	sched    Schedule
	models   []vit.Model // one per phase
	epochs   []int       // per phase
	perEpoch int         // steps per epoch
	lr       LRSchedule
	stepper  *Stepper
	logEvery int          // steps between step records
	val      *data.Loader // nil without a validation split
	test     *data.Loader
	dir      *runs.Dir
	last     *Checkpoint // the checkpoint a resume starts from; nil when none
	state    CheckpointHeader
	history  []EpochRecord
}

// Run trains cfg.Arch as cfg says, writing its files into cfg.Out through
// package runs (config.json, log.jsonl, result.json), the LastFile and
// BestFile checkpoints, CurvesFile and ModelFile (the best epoch's
// weights, exported). progress may be nil.
//
// Each epoch trains on shuffled, augmented full batches of the training
// images (a short last batch is dropped) and then evaluates the validation
// and the test split. The validation split, cfg.ValFraction of the
// training split held out by class from cfg.Seed, chooses the exported
// epoch; the test split is only reported.
// The re-tokenization schedule picks the patch stride and dilation of each
// epoch; the learning rate follows LRSchedule over all steps.
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
	r, err := newRun(cfg)
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	if err := r.train(ctx, progress); err != nil {
		return Result{}, err
	}
	return r.finish()
}

// newRun checks cfg, reads the data, prepares the run directory and the
// stepper, and restores the last checkpoint when resuming.
func newRun(cfg Config) (*run, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r := &run{given: cfg, cfg: cfg}
	if err := r.open(); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// open does newRun's work on r.
func (r *run) open() (err error) {
	if r.cfg.Data == "" {
		r.ds, err = data.OpenSample(data.OpenOptions{})
	} else {
		r.ds, err = data.Open(r.cfg.Data, data.OpenOptions{})
	}
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if r.cfg.Channels == 0 {
		r.cfg.Channels = r.ds.Channels()
	}
	if r.mean, r.std, err = r.ds.Normalization(r.cfg.Channels); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := r.split(); err != nil {
		return err
	}
	if err := r.plan(); err != nil {
		return err
	}
	if err := r.prepareDir(); err != nil {
		return err
	}
	first := r.models[PhaseAt(r.epochs, 0)]
	r.stepper, err = NewStepper(first, r.full.Init(r.cfg.Seed), StepperOptions{
		Batch: r.cfg.Batch, WeightDecay: r.cfg.WD, LabelSmoothing: r.cfg.LabelSmoothing, ORT: r.cfg.ORT,
	})
	if err != nil {
		return err
	}
	if r.test, err = r.evalLoader(r.ds.Test); err != nil {
		return fmt.Errorf("test split: %w", err)
	}
	if r.valSet != nil {
		if r.val, err = r.evalLoader(r.valSet); err != nil {
			return fmt.Errorf("validation split: %w", err)
		}
	}
	if r.cfg.Resume {
		return r.restore()
	}
	return nil
}

// Streams of data.Split.Partition for the validation split and the cap.
const (
	valStream   = 1
	limitStream = 2
)

// split holds the validation images out of the training split and caps
// what remains.
func (r *run) split() error {
	r.trainSet = r.ds.Train
	if r.cfg.ValFraction > 0 {
		n := int(math.Round(r.cfg.ValFraction * float64(r.ds.Train.N)))
		if n < 1 || n >= r.ds.Train.N {
			return fmt.Errorf("validation fraction %g of %d training images leaves %d for validation and %d for training; change --val-fraction",
				r.cfg.ValFraction, r.ds.Train.N, n, r.ds.Train.N-n)
		}
		var err error
		if r.valSet, r.trainSet, err = r.ds.Train.Partition(n, r.cfg.Seed, valStream); err != nil {
			return err
		}
		r.valSet.Name = "validation"
	}
	if n := r.cfg.TrainImages; n > 0 && n < r.trainSet.N {
		var err error
		if r.trainSet, _, err = r.trainSet.Partition(n, r.cfg.Seed, limitStream); err != nil {
			return err
		}
	}
	return nil
}

// evalLoader reads split in order, unaugmented.
func (r *run) evalLoader(split *data.Split) (*data.Loader, error) {
	return data.NewLoader(split, data.LoaderOptions{
		Batch: r.cfg.Batch, Size: r.cfg.Image, Channels: r.cfg.Channels, Mean: r.mean, Std: r.std,
	})
}

// plan builds the models, the schedule and the step counts.
func (r *run) plan() error {
	top, err := vit.Parse(r.cfg.Arch)
	if err != nil {
		return fmt.Errorf("arch: %w", err)
	}
	spec := vit.NewSpec(top, r.cfg.Image, len(r.ds.Classes))
	spec.Channels = r.cfg.Channels
	if r.full, err = vit.New(spec); err != nil {
		return fmt.Errorf("arch %s at %d px: %w", r.cfg.Arch, r.cfg.Image, err)
	}
	r.sched = DefaultSchedule(spec)
	if r.cfg.Retoken != "" {
		if r.sched, err = ParseSchedule(r.cfg.Retoken); err != nil {
			return err
		}
	}
	if r.models, err = r.sched.Models(spec); err != nil {
		return fmt.Errorf("arch %s at %d px: %w", r.cfg.Arch, r.cfg.Image, err)
	}
	r.epochs = r.sched.Epochs(r.cfg.Epochs)
	r.perEpoch = r.trainSet.N / r.cfg.Batch
	if r.perEpoch == 0 {
		return fmt.Errorf("batch %d is larger than the %d training images; use a smaller batch", r.cfg.Batch, r.trainSet.N)
	}
	total := r.perEpoch * r.cfg.Epochs
	r.lr = LRSchedule{Peak: r.cfg.LR, Warmup: int(math.Round(r.cfg.Warmup * float64(total))), Total: total}
	r.logEvery = r.cfg.LogEvery
	if r.logEvery == 0 {
		r.logEvery = max(1, total/curvePoints)
	}
	return nil
}

func (r *run) path(name string) string { return filepath.Join(r.cfg.Out, name) }

// prepareDir opens the run directory: a new one with config.json, or on
// resume the run's, whose config.json must match and whose log is cut
// back to what the last checkpoint covers.
func (r *run) prepareDir() (err error) {
	cf := configFile{Config: r.given, Schedule: r.sched.String(), Classes: r.ds.Classes,
		Input: input{Channels: r.cfg.Channels, Mean: r.mean, Std: r.std}}
	r.dir, err = runs.OpenExternal(r.cfg.Out, Kind, cf, r.cfg.Resume, r.readLast)
	return err
}

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
// Out set to dir and Resume set: what resuming it takes, for a caller that
// does not repeat the original settings. Version is left empty.
func ReadConfig(dir string) (Config, error) {
	cf, err := readConfigFile(dir)
	if err != nil {
		return Config{}, err
	}
	cf.Config.Out, cf.Config.Resume = dir, true
	return cf.Config, nil
}

func readConfigFile(dir string) (configFile, error) {
	var cf configFile
	if err := runs.ReadConfig(dir, Kind, &cf); err != nil {
		return cf, fmt.Errorf("train: %w", err)
	}
	return cf, nil
}

// restore loads the last checkpoint into the stepper and the run state and
// the finished epochs from the log; a run killed before its first
// checkpoint starts again from step 0.
func (r *run) restore() error {
	if r.last == nil {
		return nil
	}
	if err := r.load(r.last); err != nil {
		return fmt.Errorf("resume: %s: %w", r.path(LastFile), err)
	}
	epochs, _, err := readLog(r.cfg.Out)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if len(epochs) != r.last.Epoch {
		return fmt.Errorf("resume: %s holds %d epoch records, the checkpoint %s %d epochs; the directory was altered, start a new run",
			runs.LogFile, len(epochs), LastFile, r.last.Epoch)
	}
	r.history, r.last = epochs, nil
	return nil
}

// load puts checkpoint c into the stepper and the run state.
func (r *run) load(c *Checkpoint) error {
	want := r.tensorInfos()
	if err := CheckTensors(c.Tensors, want); err != nil {
		return err
	}
	if c.Epoch > r.cfg.Epochs || c.EpochStep > r.perEpoch || c.Step != c.Epoch*r.perEpoch+c.EpochStep {
		return fmt.Errorf("checkpoint at epoch %d, step %d does not fit a run of %d epochs of %d steps", c.Epoch, c.Step, r.cfg.Epochs, r.perEpoch)
	}
	n := len(want) / 3
	r.state = c.CheckpointHeader
	return r.stepper.SetState(c.Step, c.Data[:n], c.Data[n:2*n], c.Data[2*n:])
}

// tensorInfos describes the checkpoint tensors: parameters, then moments.
func (r *run) tensorInfos() []TensorInfo { return StateTensors(r.full.ParamTable()) }

// checkpoint writes the stepper's state and the run state to name.
func (r *run) checkpoint(name string) error {
	steps, params, m, v := r.stepper.State()
	h := r.state
	h.Arch, h.Step, h.Tensors, h.LogSize = r.cfg.Arch, steps, r.tensorInfos(), r.dir.LogSize()
	spec := r.stepper.Model().Spec()
	h.Stride, h.Dilation = spec.PatchStride, spec.PatchDilation
	all := append(append(append([][]float32{}, params...), m...), v...)
	if err := WriteCheckpoint(r.path(name), &Checkpoint{CheckpointHeader: h, Data: all}); err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return nil
}

func (r *run) close() {
	if r.dir != nil {
		r.dir.Close()
	}
	r.stepper.Destroy()
	for _, l := range []*data.Loader{r.val, r.test} {
		if l != nil {
			l.Close()
		}
	}
}

// train runs the remaining epochs.
func (r *run) train(ctx context.Context, progress Progress) error {
	if r.state.Epoch >= r.cfg.Epochs {
		return nil
	}
	start := r.state.Epoch*r.perEpoch + r.state.EpochStep
	loader, err := data.NewLoader(r.trainSet, data.LoaderOptions{
		Batch: r.cfg.Batch, Size: r.cfg.Image, Channels: r.cfg.Channels, Mean: r.mean, Std: r.std,
		Shuffle: true, Seed: r.cfg.Seed, Augment: r.cfg.Augment, DropLast: true,
		StartEpoch: start / r.perEpoch,
	})
	if err != nil {
		return fmt.Errorf("training split: %w", err)
	}
	defer loader.Close()
	for range start % r.perEpoch {
		loader.Release(loader.Next())
	}
	total := r.perEpoch * r.cfg.Epochs
	for r.state.Epoch < r.cfg.Epochs {
		phase := PhaseAt(r.epochs, r.state.Epoch)
		if r.stepper.Model().Spec() != r.models[phase].Spec() {
			if err := r.stepper.SetModel(r.models[phase]); err != nil {
				return err
			}
		}
		for r.state.EpochStep < r.perEpoch {
			if err := ctx.Err(); err != nil {
				return errors.Join(err, r.checkpoint(LastFile))
			}
			t0 := time.Now()
			b := loader.Next()
			if b.Epoch != r.state.Epoch || b.Step != r.state.EpochStep {
				return fmt.Errorf("data stream at epoch %d step %d, training at epoch %d step %d", b.Epoch, b.Step, r.state.Epoch, r.state.EpochStep)
			}
			lr := r.lr.At(r.stepper.Steps())
			res, err := r.stepper.Step(b.X, b.Labels, lr)
			loader.Release(b)
			if err != nil {
				return fmt.Errorf("epoch %d: %w", r.state.Epoch+1, err)
			}
			run := &r.state.Running
			run.Loss += res.Loss * float64(r.cfg.Batch)
			run.Correct += int64(res.Correct)
			run.Images += int64(r.cfg.Batch)
			run.Seconds += time.Since(t0).Seconds()
			r.state.EpochStep++
			step := r.stepper.Steps()
			ips := float64(run.Images) / run.Seconds
			progress.Step(StepInfo{
				Epoch: r.state.Epoch + 1, Epochs: r.cfg.Epochs, Step: step, Steps: total, Phase: phase + 1,
				Loss: res.Loss, LR: lr, ImagesPerS: ips,
				ETA: time.Duration(float64((total-step)*r.cfg.Batch) / ips * float64(time.Second)),
			})
			if step%r.logEvery == 0 {
				rec := StepRecord{Kind: KindStep, Epoch: r.state.Epoch + 1, Step: step, Phase: phase + 1, Loss: res.Loss, LR: lr}
				if err := r.dir.Append(rec); err != nil {
					return err
				}
			}
			if r.cfg.CheckpointEvery > 0 && step%r.cfg.CheckpointEvery == 0 {
				if err := r.checkpoint(LastFile); err != nil {
					return err
				}
			}
		}
		if err := r.endEpoch(phase, progress); err != nil {
			return err
		}
	}
	return nil
}

// endEpoch evaluates, logs, and writes the checkpoints: best (when the
// validation accuracy improved, or every epoch without validation) before
// last, so that last never promises a best that is not on disk.
func (r *run) endEpoch(phase int, progress Progress) error {
	t0 := time.Now()
	valLoss, valAcc := math.NaN(), math.NaN()
	var err error
	if r.val != nil {
		if valLoss, valAcc, err = r.evaluate(r.val); err != nil {
			return err
		}
	}
	testLoss, testAcc, err := r.evaluate(r.test)
	if err != nil {
		return err
	}
	run := r.state.Running
	spec := r.models[phase].Spec()
	rec := EpochRecord{
		Kind: KindEpoch, Epoch: r.state.Epoch + 1, Step: r.stepper.Steps(), Phase: phase + 1,
		Stride: spec.PatchStride, Dilation: spec.PatchDilation,
		LR:        r.lr.At(r.stepper.Steps() - 1),
		TrainLoss: run.Loss / float64(run.Images), TrainAcc: float64(run.Correct) / float64(run.Images),
		ValLoss: runs.Float(valLoss), ValAcc: runs.Float(valAcc),
		TestLoss: testLoss, TestAcc: testAcc,
		TrainSeconds: run.Seconds, EvalSeconds: time.Since(t0).Seconds(),
		ImagesPerS: float64(run.Images) / run.Seconds,
	}
	if err := r.dir.Append(rec); err != nil {
		return err
	}
	r.history = append(r.history, rec)
	r.state.Epoch++
	r.state.EpochStep = 0
	r.state.TrainSeconds += run.Seconds
	r.state.Running = EpochSums{}
	improved := r.val == nil || r.state.BestEpoch == 0 || valAcc > r.state.BestValAcc
	if improved {
		r.state.BestEpoch = rec.Epoch
		if r.val != nil {
			r.state.BestValAcc = valAcc
		}
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

// evaluate returns the mean cross-entropy (without smoothing) and the
// accuracy of the current weights on the split of loader l.
func (r *run) evaluate(l *data.Loader) (loss, acc float64, err error) {
	classes := r.full.Spec().Classes
	logits := make([]float32, r.cfg.Batch*classes)
	var b *data.Batch
	correct, n := 0, 0
	for i := range l.Len() {
		if b, err = l.BatchAt(i, b); err != nil {
			return 0, 0, err
		}
		out := logits[:b.N*classes]
		if err := r.stepper.Logits(b.X, b.N, out); err != nil {
			return 0, 0, fmt.Errorf("evaluate: %w", err)
		}
		correct += Correct(out, b.Labels, classes)
		loss += CrossEntropy(out, b.Labels, classes) * float64(b.N)
		n += b.N
	}
	return loss / float64(n), float64(correct) / float64(n), nil
}

// CrossEntropy returns the mean over rows of logits (N×classes) of
// -log softmax(row)[label], computed in float64.
func CrossEntropy(logits []float32, labels []int64, classes int) float64 {
	sum := 0.0
	for i, l := range labels {
		row := logits[i*classes : (i+1)*classes]
		hi := math.Inf(-1)
		for _, v := range row {
			hi = math.Max(hi, float64(v))
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v) - hi)
		}
		sum += hi + math.Log(z) - float64(row[l])
	}
	return sum / float64(len(labels))
}

// finish exports the best weights and writes result.json and the plot.
func (r *run) finish() (Result, error) {
	onnx, _, err := Export(r.cfg.Out, BestFile, export.Logits, r.cfg.Version)
	if err != nil {
		return Result{}, err
	}
	if err := atomicfile.WriteFile(r.path(ModelFile), onnx, 0o644); err != nil {
		return Result{}, err
	}
	res := Result{
		Arch: r.full.Spec().Topology.String(), Schedule: r.sched.String(),
		Epochs: r.cfg.Epochs, Steps: r.stepper.Steps(), Params: r.full.Params(),
		TrainImages: r.trainSet.N, BestEpoch: r.state.BestEpoch,
		TrainSeconds: r.state.TrainSeconds,
		Cost:         Accounting(r.full, r.models, r.epochs, int64(r.perEpoch*r.cfg.Batch)),
	}
	if r.valSet != nil {
		res.ValImages = r.valSet.N
	}
	for _, h := range r.history {
		res.SecondsPerEpoch = append(res.SecondsPerEpoch, h.TrainSeconds+h.EvalSeconds)
		res.FinalValAcc, res.FinalTestAcc = float64(h.ValAcc), h.TestAcc
		if h.Epoch == res.BestEpoch {
			res.ValAcc, res.TestAcc = float64(h.ValAcc), h.TestAcc
		}
	}
	if res.TrainSeconds > 0 {
		res.TrainImagesPerS = float64(res.Steps*r.cfg.Batch) / res.TrainSeconds
	}
	if err := r.dir.WriteResult(res); err != nil {
		return Result{}, err
	}
	return res, Plot(r.cfg.Out)
}
