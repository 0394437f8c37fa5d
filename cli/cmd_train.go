package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// trainOptions are the arguments of asvit train.
type trainOptions struct {
	Runtime runtimeOptions
	Config  train.Config
}

// trainFlags binds the training flags to c. The data, image, batch and
// seed flags are in inputFlags, which auto replaces with its own.
func trainFlags(c *train.Config) []cli.Flag {
	d := train.DefaultConfig("")
	*c = d
	return []cli.Flag{
		&cli.IntFlag{Name: "epochs", Value: d.Epochs, Destination: &c.Epochs, Usage: "passes over the training split"},
		&cli.Float64Flag{Name: "lr", Value: d.LR, Destination: &c.LR, Usage: "peak learning rate (linear warm-up, then cosine decay to 0)"},
		&cli.Float64Flag{Name: "wd", Value: d.WD, Destination: &c.WD, Usage: "AdamW's decoupled weight decay (not on biases and norms)"},
		&cli.Float64Flag{Name: "warmup", Value: d.Warmup, Destination: &c.Warmup, Usage: "fraction of all steps spent warming the learning rate up"},
		&cli.Float64Flag{Name: "label-smoothing", Value: d.LabelSmoothing, Destination: &c.LabelSmoothing, Usage: "ε of the cross-entropy targets"},
		&cli.StringFlag{Name: "retoken", Destination: &c.Retoken,
			Usage: "progressive re-tokenization, stride×dilation:fraction of epochs, e.g. 16x5:0.3,8x2:0.3,4x1:0.4; default: derived from K1 as in the paper; 4x1:1 trains at full resolution throughout"},
		&cli.Float64Flag{Name: "val-fraction", Value: d.ValFraction, Destination: &c.ValFraction,
			Usage: "fraction of the training split held out (by class, from --seed) to choose the exported epoch; 0 keeps the last epoch. The test split chooses nothing"},
		&cli.IntFlag{Name: "train-images", Destination: &c.TrainImages, Usage: "train on a stratified subset of this many images (0: all that validation leaves)"},
		&cli.IntFlag{Name: "log-every", Destination: &c.LogEvery, Usage: "log the training loss every this many steps (0: about 100 times over the run), for the learning curve"},
		&cli.BoolFlag{Name: "resume", Destination: &c.Resume, Usage: "continue the run in --out (its settings must match; --threads and --device may change)"},
	}
}

// inputFlags binds train's own data, image, batch and seed flags.
func inputFlags(c *train.Config) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Destination: &c.Data,
			Usage: "dataset directory (MNIST/Fashion-MNIST IDX, CIFAR binary or an image folder with train/ and val/ or test/); default: the embedded Fashion-MNIST sample"},
		&cli.IntFlag{Name: "img", Value: c.Image, Destination: &c.Image, Usage: "model input side in pixels"},
		&cli.IntFlag{Name: "batch", Value: c.Batch, Destination: &c.Batch, Usage: "images per AdamW step"},
		&cli.Uint64Flag{Name: "seed", Destination: &c.Seed, Usage: "weights, data order and augmentation"},
	}
}

func trainCommand(rt *runtimeOptions) *cli.Command {
	var opts trainOptions
	return &cli.Command{
		Name:  "train",
		Usage: "train a topology with progressive re-tokenization and export it",
		Description: `Trains with AdamW, label smoothing and a warm-up + cosine schedule, starting
with coarse tokens (a larger stride and dilation of the first projection,
same weights) and ending at the model's own sampling. The run directory
holds config.json, log.jsonl, the last and best checkpoints, learning_curve.png
(the loss of every logged step, the epoch results and the re-tokenization
switches), result.json (val_acc and test_acc of the epoch chosen on
validation, train_images_per_s, train_flops, the FLOPs of each phase and the
fraction saved) and model.onnx (best weights) for 'asvit predict'; 'asvit
export --from' exports either checkpoint, also as a backbone.`,
		Flags: append(append(trainFlags(&opts.Config), inputFlags(&opts.Config)...),
			&cli.StringFlag{Name: "arch", Destination: &opts.Config.Arch, Usage: "topology to train (required)"},
			&cli.StringFlag{Name: "out", Value: "out/train", Destination: &opts.Config.Out, Usage: "run directory"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err := runTrain(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

func runTrain(ctx context.Context, opts trainOptions, stdout, stderr io.Writer) (train.Result, error) {
	cfg := opts.Config
	if cfg.Arch == "" {
		return train.Result{}, usagef("missing --arch: give the topology to train")
	}
	if _, err := vit.Parse(cfg.Arch); err != nil {
		return train.Result{}, usagef("--arch: %v", err)
	}
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return train.Result{}, err
	}
	cfg.ORT, cfg.Version = ortOpts, Version
	p := &trainProgress{w: stderr}
	res, err := train.Run(ctx, cfg, p)
	p.finish()
	if err != nil {
		return res, err
	}
	_, err = io.WriteString(stdout, trainSummary(res, cfg.Out))
	return res, err
}

func trainSummary(res train.Result, out string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "arch            %s\nschedule        %s\n", res.Arch, res.Schedule)
	if res.ValImages > 0 {
		fmt.Fprintf(&b, "validation      %.4f (best epoch %d of %d; %d images held out)\n", res.ValAcc, res.BestEpoch, res.Epochs, res.ValImages)
	}
	fmt.Fprintf(&b, "test accuracy   %.4f (epoch %d; last epoch %.4f)\ntraining        %d images, %.0f images/s, %.1f s\n",
		res.TestAcc, res.BestEpoch, res.FinalTestAcc, res.TrainImages, res.TrainImagesPerS, res.TrainSeconds)
	fmt.Fprintf(&b, "training FLOPs  %.4g (%.1f%% saved against full resolution throughout)\n", res.TrainFLOPs, 100*res.Saved)
	for i, p := range res.Phases {
		fmt.Fprintf(&b, "  phase %d: stride %d dilation %d, %d epochs, %.4g FLOPs\n", i+1, p.Stride, p.Dilation, p.Epochs, p.TrainFLOPs)
	}
	fmt.Fprintf(&b, "run directory   %s (model.onnx, result.json, log.jsonl, learning_curve.png)\n", out)
	return b.String()
}

// trainProgress shows training steps on a bar (or lines) and epoch results.
type trainProgress struct {
	w io.Writer
	r *stepReporter
}

func (p *trainProgress) Step(s train.StepInfo) {
	if p.r == nil {
		p.r = newStepReporter(p.w, "train", s.Steps)
		p.r.resume(s.Step - 1)
	}
	status := fmt.Sprintf("epoch %d/%d  phase %d  loss %.4f  lr %.2e  %.0f img/s",
		s.Epoch, s.Epochs, s.Phase, s.Loss, s.LR, s.ImagesPerS)
	if p.r.terminal() {
		p.r.stepETA(s.Step, status, s.ETA) // the bar shows the ETA
		return
	}
	if s.Step%50 != 0 {
		return // plain logs get every 50th step
	}
	p.r.step(s.Step, fmt.Sprintf("%s  ETA %s", status, s.ETA.Round(1e9)))
}

func (p *trainProgress) Epoch(e train.EpochRecord) {
	line := fmt.Sprintf("epoch %d: phase %d (stride %d, dilation %d)  train loss %.4f acc %.4f  val acc %.4f  test acc %.4f  %.0f img/s",
		e.Epoch, e.Phase, e.Stride, e.Dilation, e.TrainLoss, e.TrainAcc, float64(e.ValAcc), e.TestAcc, e.ImagesPerS)
	if p.r != nil {
		p.r.line(line) // above the bar on a terminal
		return
	}
	fmt.Fprintln(p.w, line)
}

// finish erases the bar, if any.
func (p *trainProgress) finish() {
	if p.r != nil {
		p.r.finish()
	}
}
