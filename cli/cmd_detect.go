package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/coco"
	"github.com/asvit/asvit/detdata"
	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

func detectCommand(rt *runtimeOptions) *cli.Command {
	return &cli.Command{
		Name:      "detect",
		Usage:     "object detection: make a data set, train a detector on an As-ViT backbone, score it, run it",
		ArgsUsage: "make-data|train|eval|export|predict [FLAGS]",
		Description: `A CenterNet detector (a light feature pyramid and an anchor-free head on
the backbone's four stage maps; see 'go doc ./detect'):

  asvit detect make-data  paste Fashion-MNIST items onto canvases: a COCO set
  asvit detect train      train a detector on such a set (resumable run directory)
  asvit detect eval       COCO scores of a run's checkpoint, or of a results file
  asvit detect export     a run's detector as one ONNX model (network, decoding, NMS)
  asvit detect predict    boxes for PNG/JPEG images, printed and drawn, by a run or an exported model

Run 'asvit detect COMMAND --help' for a command's flags.`,
		Subcommands: []*cli.Command{detectMakeDataCommand(), detectTrainCommand(rt), detectEvalCommand(rt),
			detectExportCommand(), detectPredictCommand(rt)},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q; the commands are make-data, train, eval, export and predict", c.Args().First())
			}
			return usagef("no command given; choose make-data, train, eval, export or predict")
		},
	}
}

// makeDataOptions are the arguments of asvit detect make-data.
type makeDataOptions struct {
	Config detdata.Config
	Out    string
}

func detectMakeDataCommand() *cli.Command {
	opts := makeDataOptions{Config: detdata.DefaultConfig()}
	c := &opts.Config
	return &cli.Command{
		Name:  "make-data",
		Usage: "paste Fashion-MNIST items onto noisy canvases: a COCO detection set",
		Description: `Writes OUT/instances_train.json, OUT/instances_val.json, the canvases as
PNG files in OUT/images/train and OUT/images/val, and OUT/config.json.
Training canvases take items from the source's training split, validation
canvases from its test split. The output depends on the flags and the
source only (the same --seed gives the same bytes). The default source is
the Fashion-MNIST sample embedded in asvit (2,000 training and 500 test
items), so the default set is the same on every machine; for larger sets
give the full data set, e.g. --source /usr/share/datasets/fashion-mnist
(Debian's dataset-fashion-mnist), or any MNIST-style IDX directory.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "out/detdata", Destination: &opts.Out, Usage: "directory of the set"},
			&cli.StringFlag{Name: "source", Destination: &c.Source,
				Usage: "item data set (MNIST-style IDX files or any one-channel set 'asvit train --data' reads); default: the embedded Fashion-MNIST sample"},
			&cli.IntFlag{Name: "size", Value: c.Size, Destination: &c.Size, Usage: "canvas side in pixels"},
			&cli.IntFlag{Name: "train", Value: c.Train, Destination: &c.Train, Usage: "training canvases"},
			&cli.IntFlag{Name: "val", Value: c.Val, Destination: &c.Val, Usage: "validation canvases"},
			&cli.IntFlag{Name: "min-objects", Value: c.MinObjects, Destination: &c.MinObjects, Usage: "fewest objects per canvas"},
			&cli.IntFlag{Name: "max-objects", Value: c.MaxObjects, Destination: &c.MaxObjects, Usage: "most objects per canvas (fewer when there is no room)"},
			&cli.IntFlag{Name: "min-side", Value: c.MinSide, Destination: &c.MinSide, Usage: "smallest object size √(w·h) in pixels (log-uniform)"},
			&cli.IntFlag{Name: "max-side", Value: c.MaxSide, Destination: &c.MaxSide, Usage: "largest object size in pixels, at most --size"},
			&cli.Float64Flag{Name: "max-iou", Value: c.MaxIoU, Destination: &c.MaxIoU, Usage: "largest IoU between two objects' boxes"},
			&cli.IntFlag{Name: "noise", Value: c.Noise, Destination: &c.Noise, Usage: "largest background pixel value, 0..255"},
			&cli.IntFlag{Name: "clutter", Value: c.Clutter, Destination: &c.Clutter, Usage: "most unannotated item fragments per canvas"},
			&cli.Uint64Flag{Name: "seed", Value: c.Seed, Destination: &c.Seed, Usage: "seed of everything random"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			return runMakeData(c.Context, opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runMakeData(ctx context.Context, opts makeDataOptions, stdout, stderr io.Writer) error {
	if err := opts.Config.Check(); err != nil {
		return usagef("%v", err)
	}
	if opts.Out == "" {
		return usagef("--out: give a directory for the set")
	}
	total := opts.Config.Train + opts.Config.Val
	r := newStepReporter(stderr, "make-data", total)
	every := max(1, total/10) // plain lines: ten of them
	err := detdata.Generate(ctx, opts.Config, opts.Out, func(done, total int) {
		if r.terminal() || done%every == 0 || done == total {
			r.step(done, fmt.Sprintf("canvas %d/%d", done, total))
		}
	})
	r.finish()
	if err != nil {
		return err
	}
	source := opts.Config.Source
	if source == "" {
		source = "the embedded Fashion-MNIST sample"
	}
	_, err = fmt.Fprintf(stdout, "wrote %d training and %d validation canvases of %d px (items from %s) to %s\n",
		opts.Config.Train, opts.Config.Val, opts.Config.Size, source, opts.Out)
	return err
}

// detectTrainOptions are the arguments of asvit detect train.
type detectTrainOptions struct {
	Runtime runtimeOptions
	Config  detect.Config
}

func detectTrainCommand(rt *runtimeOptions) *cli.Command {
	var opts detectTrainOptions
	d := detect.DefaultConfig("")
	opts.Config = d
	c := &opts.Config
	dd := detect.DefaultData()
	return &cli.Command{
		Name:  "train",
		Usage: "train a detector with a re-tokenized As-ViT backbone on a COCO set from make-data",
		Description: fmt.Sprintf(`Trains with AdamW and a warm-up + cosine schedule, with the backbone's
progressive re-tokenization (as 'asvit train'), on shuffled full batches of
the training canvases, flipped left to right at random with their boxes
(--flip, on by default). After every epoch the validation canvases are
scored with the COCO protocol (up to %d detections per image, scores from
%g); the best AP chooses the 'best' checkpoint. Without --data the run
generates a small default set into OUT/%s: %d training and %d validation
canvases of %d px from the embedded Fashion-MNIST sample (a few minutes
with the seed topology on two cores).

The run directory holds config.json, log.jsonl (loss, heatmap and box loss
per step; the training losses and the twelve COCO numbers per epoch), the
last and best checkpoints, result.json (the best epoch and its validation
summary, training seconds and images/s, MACs per image of backbone and
neck/head, training FLOPs), %s (the best checkpoint on the
validation canvases, COCO results for any scorer), %s and
%s (validation canvases with true boxes in green and detections
scoring %.1f or more in orange). --resume continues a stopped run to the
same result.`, detect.EvalTopK, detect.EvalMinScore, detect.DataDir, dd.Train, dd.Val, dd.Size,
			detect.PredictionsFile, detect.CurvesFile, detect.SamplesFile, detect.SampleMinScore),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "arch", Destination: &c.Arch, Usage: "backbone topology (required)"},
			&cli.StringFlag{Name: "data", Destination: &c.Data,
				Usage: "set made by 'asvit detect make-data' (instances_train.json, instances_val.json, images/); default: a small set generated into the run directory"},
			&cli.IntFlag{Name: "epochs", Value: d.Epochs, Destination: &c.Epochs, Usage: "passes over the training canvases"},
			&cli.IntFlag{Name: "batch", Value: d.Batch, Destination: &c.Batch, Usage: "canvases per AdamW step"},
			&cli.Float64Flag{Name: "lr", Value: d.LR, Destination: &c.LR, Usage: "peak learning rate (linear warm-up, then cosine decay to 0)"},
			&cli.Float64Flag{Name: "weight-decay", Aliases: []string{"wd"}, Value: d.WD, Destination: &c.WD,
				Usage: "AdamW's decoupled weight decay (not on biases and norms)"},
			&cli.Float64Flag{Name: "warmup", Value: d.Warmup, Destination: &c.Warmup, Usage: "fraction of all steps spent warming the learning rate up"},
			&cli.StringFlag{Name: "retoken", Destination: &c.Retoken,
				Usage: "backbone re-tokenization, stride×dilation:fraction of epochs, e.g. 16x2:0.3,8x1:0.3,4x1:0.4; default: derived from K1 as in the paper, dropping phases the canvas is too small for"},
			&cli.Uint64Flag{Name: "seed", Destination: &c.Seed, Usage: "weights, data order and flips"},
			&cli.IntFlag{Name: "width", Value: detect.DefaultWidth, Destination: &c.Width, Usage: "channels of the neck and head"},
			&cli.BoolFlag{Name: "flip", Value: d.Flip, Destination: &c.Flip, Usage: "mirror training canvases and their boxes at random (--flip=false: never)"},
			&cli.IntFlag{Name: "checkpoint-every", Destination: &c.CheckpointEvery, Usage: "also write the last checkpoint every this many steps (0: at epoch ends only)"},
			&cli.IntFlag{Name: "log-every", Destination: &c.LogEvery, Usage: "log the training losses every this many steps (0: about 100 times over the run)"},
			&cli.StringFlag{Name: "out", Value: "out/detect", Destination: &c.Out, Usage: "run directory"},
			&cli.BoolFlag{Name: "resume", Destination: &c.Resume, Usage: "continue the run in --out (its settings must match; --threads and --device may change)"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err := runDetectTrain(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

func runDetectTrain(ctx context.Context, opts detectTrainOptions, stdout, stderr io.Writer) (detect.Result, error) {
	cfg := opts.Config
	if cfg.Arch == "" {
		return detect.Result{}, usagef("missing --arch: give the backbone topology")
	}
	if _, err := vit.Parse(cfg.Arch); err != nil {
		return detect.Result{}, usagef("--arch: %v", err)
	}
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return detect.Result{}, err
	}
	cfg.ORT = ortOpts
	p := &detectProgress{t: trainProgress{w: stderr}}
	res, err := detect.Run(ctx, cfg, p)
	p.t.finish()
	if err != nil {
		return res, err
	}
	_, err = io.WriteString(stdout, detectSummary(res, cfg.Out))
	return res, err
}

func detectSummary(res detect.Result, out string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "arch            %s (neck width %d, %d classes, %d px)\nschedule        %s\n", res.Arch, res.Width, res.Classes, res.Image, res.Schedule)
	fmt.Fprintf(&b, "validation AP   %.4f  AP50 %.4f  AP75 %.4f (best epoch %d of %d; last epoch AP %.4f)\n",
		res.Val.AP, res.Val.AP50, res.Val.AP75, res.BestEpoch, res.Epochs, res.FinalVal.AP)
	fmt.Fprintf(&b, "training        %d canvases, %.1f images/s, %.1f s\n", res.TrainImages, res.TrainImagesPerS, res.TrainSeconds)
	fmt.Fprintf(&b, "MACs per image  %s (backbone %s, neck and head %s); %s parameters\n",
		metric(res.MACs.Total), metric(res.MACs.Backbone), metric(res.MACs.NeckHead), groupDigits(res.Params))
	fmt.Fprintf(&b, "training FLOPs  %.4g (%.4g per image, %.1f%% saved by re-tokenization)\n", res.TrainFLOPs, res.TrainFLOPsPerImage, 100*res.Saved)
	fmt.Fprintf(&b, "run directory   %s (result.json, %s, %s, %s)\n", out, detect.PredictionsFile, detect.CurvesFile, detect.SamplesFile)
	return b.String()
}

// detectProgress shows training steps as 'asvit train' does, and the
// epochs' losses and validation scores.
type detectProgress struct {
	t trainProgress
}

func (p *detectProgress) Step(s detect.StepInfo) { p.t.Step(s.StepInfo) }

func (p *detectProgress) Epoch(e detect.EpochRecord) {
	line := fmt.Sprintf("epoch %d: phase %d (stride %d, dilation %d)  loss %.4f (heatmap %.4f, box %.4f)  val AP %.4f AP50 %.4f  %.1f img/s",
		e.Epoch, e.Phase, e.Stride, e.Dilation, e.TrainLoss, e.TrainHeatmapLoss, e.TrainBoxLoss, e.Val.AP, e.Val.AP50, e.ImagesPerS)
	if p.t.r != nil {
		p.t.r.line(line) // above the bar on a terminal
		return
	}
	fmt.Fprintln(p.t.w, line)
}

// detectEvalOptions are the arguments of asvit detect eval.
type detectEvalOptions struct {
	Runtime     runtimeOptions
	Run         string // run directory, or ""
	Checkpoint  string
	Data        string // set directory for Run; "" is the run's
	Split       string
	Results     string // results file to score, instead of Run
	Annotations string // instances file for Results
	Write       string // write Run's detections here
	Batch       int
	JSON        bool
}

func detectEvalCommand(rt *runtimeOptions) *cli.Command {
	var opts detectEvalOptions
	return &cli.Command{
		Name:      "eval",
		Usage:     "COCO scores of a detection run's checkpoint, or of a results file",
		ArgsUsage: "RUNDIR | --results R.json --annotations instances.json",
		Description: fmt.Sprintf(`With RUNDIR, runs its best (or --checkpoint last) weights on the
validation canvases of its data (or of --data DIR, --split train|val) and
scores them as the run does (up to %d detections per image, scores from
%g); --write-results keeps the detections as a COCO results file. With
--results, scores that file against the COCO instances file --annotations,
as pycocotools' COCOeval does for boxes. Both print the twelve numbers of
COCOeval.summarize in its format (−1 where undefined).`, detect.EvalTopK, detect.EvalMinScore),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: detect.BestFile, Destination: &opts.Checkpoint, Usage: "the run's checkpoint: best or last"},
			&cli.StringFlag{Name: "data", Destination: &opts.Data, Usage: "set to score the run on (default: the run's own)"},
			&cli.StringFlag{Name: "split", Value: detdata.ValSplit, Destination: &opts.Split, Usage: "split of the set: val or train"},
			&cli.StringFlag{Name: "write-results", Destination: &opts.Write, Usage: "write the run's detections to this COCO results file"},
			&cli.IntFlag{Name: "batch", Value: 32, Destination: &opts.Batch, Usage: "canvases per forward pass"},
			&cli.StringFlag{Name: "results", Destination: &opts.Results, Usage: "COCO results file to score instead of a run"},
			&cli.StringFlag{Name: "annotations", Destination: &opts.Annotations, Usage: "COCO instances file the --results are scored against"},
			&cli.BoolFlag{Name: "json", Destination: &opts.JSON, Usage: "print the summary and each category's as JSON"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			args, err := requireArgs(c, 0, 1, "RUNDIR")
			if err != nil {
				return err
			}
			if len(args) == 1 {
				opts.Run = args[0]
			}
			opts.Runtime = *rt
			return runDetectEval(c.Context, opts, c.App.Writer)
		},
	}
}

func (o detectEvalOptions) check() error {
	switch {
	case o.Run == "" && o.Results == "":
		return usagef("nothing to score: give a run directory, or --results R.json with --annotations")
	case o.Run != "" && o.Results != "":
		return usagef("give a run directory or --results, not both")
	case o.Results != "" && o.Annotations == "":
		return usagef("--results needs --annotations, the COCO instances file to score against")
	case o.Results != "" && (o.Data != "" || o.Write != ""):
		return usagef("--data and --write-results go with a run directory, not --results")
	case o.Run != "" && o.Annotations != "":
		return usagef("--annotations goes with --results; score a run on another set with --data DIR")
	case o.Checkpoint != detect.BestFile && o.Checkpoint != detect.LastFile:
		return usagef("--checkpoint: got %q, want best or last", o.Checkpoint)
	case o.Split != detdata.ValSplit && o.Split != detdata.TrainSplit:
		return usagef("--split: got %q, want val or train", o.Split)
	case o.Batch < 1:
		return usagef("--batch: got %d, want at least 1", o.Batch)
	}
	return nil
}

func runDetectEval(_ context.Context, opts detectEvalOptions, stdout io.Writer) error {
	if err := opts.check(); err != nil {
		return err
	}
	var res *coco.Result
	var what string
	if opts.Results != "" {
		gt, err := coco.Read(opts.Annotations)
		if err != nil {
			return err
		}
		dets, err := coco.ReadResults(opts.Results)
		if err != nil {
			return err
		}
		if res, err = coco.Evaluate(gt, dets); err != nil {
			return fmt.Errorf("%s against %s: %w", opts.Results, opts.Annotations, err)
		}
		what = fmt.Sprintf("%s: %d detections on %d images of %s", opts.Results, len(dets), len(gt.Images), opts.Annotations)
	} else {
		var err error
		if res, what, err = evalRun(opts); err != nil {
			return err
		}
	}
	if opts.JSON {
		b, err := json.MarshalIndent(struct {
			Scored     string                `json:"scored"`
			Summary    coco.Summary          `json:"summary"`
			Categories []coco.CategoryResult `json:"categories"`
		}{what, res.Summary, res.Categories}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(stdout, "%s\n%s", what, res.Summary)
	return err
}

// evalRun scores a run's checkpoint on a split and says what it scored.
func evalRun(opts detectEvalOptions) (*coco.Result, string, error) {
	cfg, err := detect.ReadConfig(opts.Run)
	if err != nil {
		return nil, "", err
	}
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return nil, "", err
	}
	ck, err := detect.ReadRunCheckpoint(opts.Run, opts.Checkpoint)
	if err != nil {
		return nil, "", err
	}
	dir := opts.Data
	if dir == "" {
		dir = detect.DataPath(cfg)
	}
	set, err := detdata.OpenSplit(dir, opts.Split)
	if err != nil {
		return nil, "", err
	}
	p, err := detect.NewPredictor(ck.Model, ck.Params(), opts.Batch, ortOpts)
	if err != nil {
		return nil, "", err
	}
	defer p.Destroy()
	e, err := p.Evaluate(set)
	if err != nil {
		return nil, "", fmt.Errorf("%s split of %s: %w", opts.Split, dir, err)
	}
	if opts.Write != "" {
		if err := coco.WriteResults(opts.Write, e.Results); err != nil {
			return nil, "", err
		}
	}
	what := fmt.Sprintf("%s checkpoint of %s (epoch %d, step %d) on the %s split of %s (%d canvases, %d detections)",
		opts.Checkpoint, opts.Run, ck.Epoch, ck.Step, opts.Split, dir, set.N, len(e.Results))
	return e.COCO, what, nil
}

// detectExportOptions are the arguments of asvit detect export.
type detectExportOptions struct {
	Run        string
	Checkpoint string
	Out        string  // "" is detect.ExportFile (ExportLastFile for the last checkpoint) in Run
	TopK       int     // 0: detect.DefaultExportTopK, or every heatmap cell if fewer
	MinScore   float64 // the exported model's score threshold
	IoU        float64 // its NMS threshold; 1: no NMS
}

// defaultExportMinScore is the least score of a box an exported detector
// keeps unless told otherwise: what 'asvit detect predict' shows and the
// run's samples draw.
const defaultExportMinScore = detect.SampleMinScore

func detectExportCommand() *cli.Command {
	opts := detectExportOptions{Checkpoint: detect.BestFile, MinScore: defaultExportMinScore, IoU: detect.DefaultIoUThreshold}
	return &cli.Command{
		Name:      "export",
		Usage:     "write a detection run's detector as one ONNX model for services: network, decoding and NMS",
		ArgsUsage: "RUNDIR",
		Description: fmt.Sprintf(`Writes the detector of the run's best (or --checkpoint last) checkpoint
as one ONNX model, from the run directory alone: the network at the
tokenizer its weights were trained at, CenterNet's decoding and per-class
NonMaxSuppression. The model takes float32 batches N×1×R×R named
%q (any N, R the canvas size, pixels v normalised as (v/255 − mean)/std
with the metadata's asvit.mean and asvit.std) and returns K slots per
image:

  %-7s float32 N×K×4  x, y, width, height in input pixels
  %-7s float32 N×K    best first; 0 in an empty slot
  %-7s int64   N×K    class index (asvit.class_names); -1 in an empty slot

The K best heatmap peaks are taken, those scoring below --score-threshold
dropped, and NMS drops each box whose IoU with a better box of its class
exceeds --iou-threshold (1: no NMS); the kept boxes fill the first slots.
The metadata records the backbone, canvas size, normalisation, class
names, checkpoint and these settings ('asvit inspect' lists them); 'asvit
predict' and 'asvit detect predict --model' run the file. --out
defaults to RUNDIR/%s (RUNDIR/%s with --checkpoint
last); the file is written atomically.`, vit.InputName, detect.BoxesName, detect.ScoresName, detect.ClassesName, detect.ExportFile, detect.ExportLastFile),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: opts.Checkpoint, Destination: &opts.Checkpoint, Usage: "the run's checkpoint: best or last"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Destination: &opts.Out, DefaultText: "RUNDIR/" + detect.ExportFile,
				Usage: "path of the ONNX file to write; its directory must exist"},
			&cli.IntFlag{Name: "top-k", Destination: &opts.TopK, DefaultText: fmt.Sprintf("%d, or every heatmap cell if fewer", detect.DefaultExportTopK),
				Usage: "K, the box slots per image"},
			&cli.Float64Flag{Name: "score-threshold", Value: opts.MinScore, Destination: &opts.MinScore, Usage: "least score of a box kept, in [0, 1]"},
			&cli.Float64Flag{Name: "iou-threshold", Value: opts.IoU, Destination: &opts.IoU,
				Usage: "per-class NMS threshold in (0, 1]: a box overlapping a better box of its class by more is dropped; 1 turns NMS off"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			args, err := requireArgs(c, 1, 1, "RUNDIR")
			if err != nil {
				return err
			}
			opts.Run = args[0]
			return runDetectExport(c.Context, opts, c.App.Writer)
		},
	}
}

func (o detectExportOptions) check() error {
	switch {
	case o.Run == "":
		return usagef("missing RUNDIR: give the detection run directory to export")
	case o.Checkpoint != detect.BestFile && o.Checkpoint != detect.LastFile:
		return usagef("--checkpoint: got %q, want best or last", o.Checkpoint)
	case o.TopK < 0:
		return usagef("--top-k: got %d, want at least 1", o.TopK)
	case !(o.MinScore >= 0 && o.MinScore <= 1):
		return usagef("--score-threshold: got %g, want a score in [0, 1]", o.MinScore)
	case !(o.IoU > 0 && o.IoU <= 1):
		return usagef("--iou-threshold: got %g, want a number in (0, 1] (1: no NMS)", o.IoU)
	}
	return nil
}

// runDetectExport writes the run's detector and prints a line about it.
func runDetectExport(ctx context.Context, opts detectExportOptions, stdout io.Writer) error {
	if err := opts.check(); err != nil {
		return err
	}
	if k, err := runs.KindOf(opts.Run); err == nil && k.Name == train.Kind.Name {
		return fmt.Errorf("%s is a classifier's training run ('asvit train'); export it with 'asvit export --from %s'", opts.Run, opts.Run)
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.Run, map[string]string{detect.BestFile: detect.ExportFile, detect.LastFile: detect.ExportLastFile}[opts.Checkpoint])
	}
	model, meta, err := detect.ExportRun(opts.Run, opts.Checkpoint,
		detect.ExportOptions{TopK: opts.TopK, MinScore: opts.MinScore, IoUThreshold: opts.IoU}, Version)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(out, model, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return detectorSummary(stdout, out, model, meta)
}

// detectorSummary prints one line about the exported detector written to
// path: its input and outputs, how it selects its boxes, its weights and
// size.
func detectorSummary(w io.Writer, path string, model []byte, meta export.Meta) error {
	inputs, outputs, err := ort.ModelInfo(model)
	if err != nil {
		return err
	}
	shapes := func(vs []ort.ValueInfo) string {
		var s []string
		for _, v := range vs {
			dims := []string{"N"}
			for _, d := range v.Shape[1:] {
				dims = append(dims, fmt.Sprint(d))
			}
			s = append(s, fmt.Sprintf("%s %s", v.Name, strings.Join(dims, "×")))
		}
		return strings.Join(s, ", ")
	}
	nms := fmt.Sprintf("NMS IoU %g", meta.Detection.IoUThreshold)
	if meta.Detection.IoUThreshold >= 1 {
		nms = "no NMS"
	}
	_, err = fmt.Fprintf(w, "wrote %s: detector on %s (%d classes, patch stride %d), %s → %s; K %d, score ≥ %g, %s; %s checkpoint: epoch %d, step %d; %s\n",
		path, meta.Arch, meta.Classes, meta.PatchStride, shapes(inputs), shapes(outputs),
		meta.Detection.TopK, meta.Detection.ScoreThreshold, nms, meta.Weights, meta.Epoch, meta.Step, byteSize(len(model)))
	return err
}

// detectPredictOptions are the arguments of asvit detect predict.
type detectPredictOptions struct {
	Runtime    runtimeOptions
	Run        string
	Model      string // an exported detector, instead of Run
	Checkpoint string
	Images     []string
	MinScore   float64
	IoU        float64 // with --run: the NMS threshold; 1: no NMS
	Top        int
	Batch      int
	Draw       string // directory; "" draws nothing
	JSON       bool
	// given reports whether a flag was set on the command line; nil means
	// none was.
	given func(flag string) bool
}

func detectPredictCommand(rt *runtimeOptions) *cli.Command {
	var opts detectPredictOptions
	return &cli.Command{
		Name:      "predict",
		Usage:     "find objects in PNG or JPEG images with a detection run's checkpoint or an exported detector",
		ArgsUsage: "--run RUNDIR | --model FILE.onnx  IMAGE...",
		Description: fmt.Sprintf(`Each image is converted to gray (RGB averaged), resized bilinearly to the
detector's canvas size and normalised as its training canvases were; the
boxes are given in the image's own pixels, x y width height from the top
left, best first. --draw DIR writes each image with its boxes as
DIR/NAME.png.

--run runs a run's checkpoint and decodes its outputs in Go, followed by
per-class NMS at --iou-threshold as an exported detector does (1: none;
CenterNet's peak test alone, as the COCO evaluation decodes); --model runs a detector written
by 'asvit detect export' with ONNX Runtime alone, with its own top-k,
score threshold and NMS (see its metadata), which --top and --min-score
can only narrow. --min-score defaults to %g with --run and to the
model's own threshold with --model.`, detect.SampleMinScore),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "run", Destination: &opts.Run, Usage: "detection run directory"},
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Destination: &opts.Model,
				Usage: "exported detector (asvit detect export), instead of --run"},
			&cli.StringFlag{Name: "checkpoint", Value: detect.BestFile, Destination: &opts.Checkpoint, Usage: "with --run: the run's checkpoint, best or last"},
			&cli.Float64Flag{Name: "min-score", Value: detect.SampleMinScore, Destination: &opts.MinScore,
				DefaultText: fmt.Sprintf("%g; with --model, the model's own", detect.SampleMinScore), Usage: "least score of a box shown"},
			&cli.Float64Flag{Name: "iou-threshold", Value: detect.DefaultIoUThreshold, Destination: &opts.IoU,
				Usage: "with --run: drop a box whose IoU with a better box of its class exceeds this (1: no NMS)"},
			&cli.IntFlag{Name: "top", Value: detect.EvalTopK, Destination: &opts.Top, Usage: "most boxes per image"},
			&cli.IntFlag{Name: "batch", Value: 16, Destination: &opts.Batch, Usage: "images per forward pass"},
			&cli.StringFlag{Name: "draw", Destination: &opts.Draw, Usage: "write each image with its boxes into this directory"},
			&cli.BoolFlag{Name: "json", Destination: &opts.JSON,
				Usage: `print [{"image", "width", "height", "detections": [{"class", "name", "score", "bbox"}]}] as JSON`},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts.Images = c.Args().Slice()
			opts.Runtime = *rt
			opts.given = c.IsSet
			if opts.Model != "" && !c.IsSet("min-score") {
				opts.MinScore = 0 // every box the model returns
			}
			return runDetectPredict(c.Context, opts, c.App.Writer)
		},
	}
}

func (o detectPredictOptions) isSet(flag string) bool { return o.given != nil && o.given(flag) }

func (o detectPredictOptions) check() error {
	switch {
	case o.Run == "" && o.Model == "":
		return usagef("missing --run or --model: give the detection run directory, or a detector written by 'asvit detect export'")
	case o.Run != "" && o.Model != "":
		return usagef("give --run or --model, not both")
	case len(o.Images) == 0:
		return usagef("no images: give PNG or JPEG files")
	case o.Checkpoint != detect.BestFile && o.Checkpoint != detect.LastFile:
		return usagef("--checkpoint: got %q, want best or last", o.Checkpoint)
	case o.Model != "" && o.isSet("checkpoint"):
		return usagef("--checkpoint goes with --run; an exported model holds one checkpoint's weights")
	case o.Model != "" && o.isSet("iou-threshold"):
		return usagef("--iou-threshold goes with --run; an exported model applies its own NMS (see its metadata)")
	case !(o.IoU > 0 && o.IoU <= 1):
		return usagef("--iou-threshold: got %g, want a number in (0, 1] (1: no NMS)", o.IoU)
	case !(o.MinScore >= 0 && o.MinScore <= 1):
		return usagef("--min-score: got %g, want a score in [0, 1]", o.MinScore)
	case o.Top < 1:
		return usagef("--top: got %d, want at least 1", o.Top)
	case o.Batch < 1:
		return usagef("--batch: got %d, want at least 1", o.Batch)
	}
	if o.Draw != "" {
		seen := map[string]string{}
		for _, path := range o.Images {
			name := drawnName(path)
			if other, dup := seen[name]; dup {
				return usagef("--draw: %s and %s would both be drawn as %s; run them separately", other, path, name)
			}
			seen[name] = path
		}
	}
	return nil
}

// drawnName is the file name --draw gives the drawing of image path.
func drawnName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".png"
}

// detectedImage is one image's detections, in its own pixels.
type detectedImage struct {
	Image      string        `json:"image"`
	Width      int           `json:"width"`
	Height     int           `json:"height"`
	Detections []detectedBox `json:"detections"`
}

type detectedBox struct {
	Class int        `json:"class"`
	Name  string     `json:"name"`
	Score float64    `json:"score"`
	BBox  [4]float64 `json:"bbox"` // x, y, w, h
}

// boxFinder finds objects in batches of preprocessed images: a run's
// checkpoint or an exported detector.
type boxFinder struct {
	input   export.Meta // the input's side, channels and normalisation
	classes []string    // class names; nil when unknown
	find    func(x []float32, n int) ([][]detect.Detection, error)
}

func runDetectPredict(ctx context.Context, opts detectPredictOptions, stdout io.Writer) error {
	if err := opts.check(); err != nil {
		return err
	}
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return err
	}
	if opts.Model != "" {
		model, meta, err := readAsvitModel(opts.Model)
		if err != nil {
			return err
		}
		if meta.Output != export.Detections {
			return fmt.Errorf("%s outputs %s, not detections; run it with 'asvit predict --model %s'", opts.Model, meta.Output, opts.Model)
		}
		return predictExported(ctx, model, meta, opts, ortOpts, stdout)
	}
	p, err := detect.OpenPredictor(opts.Run, opts.Checkpoint, opts.Batch, ortOpts)
	if err != nil {
		return err
	}
	defer p.Destroy()
	info := p.Info()
	return findBoxes(ctx, boxFinder{
		input:   export.Meta{Network: export.Network{Image: info.Image, Channels: 1}, Mean: []float32{info.Mean}, Std: []float32{info.Std}},
		classes: info.Classes,
		find: func(x []float32, n int) ([][]detect.Detection, error) {
			d := p.Model().Decoder(opts.Top, opts.MinScore)
			if opts.IoU < 1 {
				d.IoUThreshold = opts.IoU
			}
			return p.DetectWith(x, n, d)
		},
	}, opts, stdout)
}

// predictExported runs the exported detector model, whose metadata is
// meta, on opts.Images with ONNX Runtime: 'asvit detect predict --model'
// and 'asvit predict' of a detector.
func predictExported(ctx context.Context, model []byte, meta export.Meta, opts detectPredictOptions, ortOpts ort.Options, stdout io.Writer) error {
	e, err := detect.OpenExported(model, meta, ortOpts)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.Model, err)
	}
	defer e.Destroy()
	return findBoxes(ctx, boxFinder{input: meta, classes: meta.ClassNames, find: e.Detect}, opts, stdout)
}

// findBoxes runs f on opts.Images, opts.Batch at a time, keeps at most
// opts.Top detections of each scoring opts.MinScore or more, and prints
// and draws them as opts say.
func findBoxes(ctx context.Context, f boxFinder, opts detectPredictOptions, stdout io.Writer) error {
	per := f.input.Channels * f.input.Image * f.input.Image
	if opts.Draw != "" {
		if err := os.MkdirAll(opts.Draw, 0o755); err != nil {
			return err
		}
	}
	var all []detectedImage
	for start := 0; start < len(opts.Images); start += opts.Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		paths := opts.Images[start:min(start+opts.Batch, len(opts.Images))]
		x := make([]float32, len(paths)*per)
		for i, path := range paths {
			if err := preprocessImage(x[i*per:(i+1)*per], path, f.input); err != nil {
				return err
			}
		}
		dets, err := f.find(x, len(paths))
		if err != nil {
			return err
		}
		for i, path := range paths {
			var kept []detect.Detection
			for _, d := range dets[i] {
				if d.Score >= opts.MinScore && len(kept) < opts.Top {
					kept = append(kept, d)
				}
			}
			d, err := placeDetections(path, kept, f.input.Image, f.classes, opts.Draw)
			if err != nil {
				return err
			}
			all = append(all, d)
			if !opts.JSON {
				if _, err := io.WriteString(stdout, d.text()); err != nil {
					return err
				}
			}
		}
	}
	if !opts.JSON {
		return nil
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// className is class c's name, or its index when names has none.
func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return fmt.Sprint(c)
}

// placeDetections scales the detections of image path from the
// detector's side×side input to the image and, with draw set, draws them
// there.
func placeDetections(path string, dets []detect.Detection, side int, classes []string, draw string) (detectedImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return detectedImage{}, err
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		return detectedImage{}, fmt.Errorf("image %s: %w", path, err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	sx, sy := float64(w)/float64(side), float64(h)/float64(side)
	out := detectedImage{Image: path, Width: w, Height: h, Detections: []detectedBox{}}
	scaled := make([]detect.Detection, len(dets))
	for k, d := range dets {
		d.X, d.W, d.Y, d.H = d.X*sx, d.W*sx, d.Y*sy, d.H*sy
		scaled[k] = d
		out.Detections = append(out.Detections, detectedBox{Class: d.Class, Name: className(classes, d.Class), Score: d.Score,
			BBox: [4]float64{d.X, d.Y, d.W, d.H}})
	}
	if draw != "" {
		drawn := detect.Annotate(img, detect.DrawScale(w, h), nil, scaled, classes)
		if err := detect.WritePNG(filepath.Join(draw, drawnName(path)), drawn); err != nil {
			return out, err
		}
	}
	return out, nil
}

// text lists the detections, one per line, under the image's name.
func (d detectedImage) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d×%d): %d boxes\n", d.Image, d.Width, d.Height, len(d.Detections))
	for _, box := range d.Detections {
		fmt.Fprintf(&b, "  %-12s %.3f  x %.1f  y %.1f  w %.1f  h %.1f\n", box.Name, box.Score, box.BBox[0], box.BBox[1], box.BBox[2], box.BBox[3])
	}
	return b.String()
}
