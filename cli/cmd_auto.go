package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/train"
)

// autoOptions are the arguments of asvit auto.
type autoOptions struct {
	Runtime   runtimeOptions
	Measure   measureOptions
	Steps     int
	MaxParams float64
	MaxFLOPs  float64
	Train     train.Config
	Out       string
	Resume    bool
}

func autoCommand(rt *runtimeOptions) *cli.Command {
	var opts autoOptions
	flags := append(measureFlags(&opts.Measure, 32), parallelFlag(&opts.Measure.Parallel))
	flags = append(flags, trainFlags(&opts.Train)...)
	flags = append(flags, &cli.IntFlag{Name: "train-batch", Value: opts.Train.Batch, Destination: &opts.Train.Batch,
		Usage: "images per AdamW step"})
	flags = append(flags,
		&cli.IntFlag{Name: "steps", Value: 40, Destination: &opts.Steps,
			Usage: "search steps (the paper uses 500)"},
		&cli.Float64Flag{Name: "max-params", Value: 6e6, Destination: &opts.MaxParams,
			Usage: "train the largest member of the scaled series with at most this many parameters"},
		&cli.Float64Flag{Name: "max-flops", Destination: &opts.MaxFLOPs,
			Usage: "and at most this many FLOPs (2 × MACs) per image at --img; 0: no limit"},
		&cli.StringFlag{Name: "out", Value: "out/auto", Destination: &opts.Out,
			Usage: "run directory; search/, scale/ and train/ go inside it"},
	)
	return &cli.Command{
		Name:  "auto",
		Usage: "search, scale, train and export in one run",
		Description: `Runs the whole As-ViT pipeline in --out: a REINFORCE search for the seed
topology (search/), its training-free scaling into a series (scale/), then
trains the largest member that fits --max-params and --max-flops with
progressive re-tokenization (train/, with model.onnx), and writes
report.md. The series is counted at --img with the dataset's classes.
With no flags it runs on the embedded Fashion-MNIST sample in a few
minutes; --data, --steps, --epochs and the measure flags scale it up.
--resume continues the stage that was stopped where it stopped and starts
those that never began; on a finished run it prints the report again.`,
		Flags:        flags,
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			opts.Runtime, opts.Resume = *rt, opts.Train.Resume
			return runAuto(c.Context, opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runAuto(ctx context.Context, opts autoOptions, stdout, stderr io.Writer) error {
	if opts.MaxParams <= 0 || opts.MaxFLOPs < 0 {
		return usagef("--max-params must be positive and --max-flops 0 or more")
	}
	classes, err := datasetClasses(opts.Measure.Data)
	if err != nil {
		return err
	}
	dir, resume, err := opts.stage("search")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "== search (%d steps at %d px)\n", opts.Steps, opts.Measure.Image)
	found, err := runSearch(ctx, searchOptions{Runtime: opts.Runtime, Measure: opts.Measure, Steps: opts.Steps, Batch: 1,
		Out: dir, Resume: resume}, stderr, stderr)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if dir, resume, err = opts.stage("scale"); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "== scale %s\n", found.Topology)
	series, err := runScaleFor(ctx, opts, found.Topology, classes, dir, resume, stderr)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	pick, err := pickMember(series.Series, int64(opts.MaxParams), int64(opts.MaxFLOPs/2))
	if err != nil {
		return err
	}
	cfg := opts.Train
	if cfg.Out, cfg.Resume, err = opts.stage("train"); err != nil {
		return err
	}
	cfg.Arch, cfg.Data, cfg.Image, cfg.Seed = pick.Topology, opts.Measure.Data, opts.Measure.Image, opts.Measure.Seed
	fmt.Fprintf(stderr, "== train %s (%d parameters)\n", pick.Topology, pick.Params)
	trained, err := runTrain(ctx, trainOptions{Runtime: opts.Runtime, Config: cfg}, stderr, stderr)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(stderr, "== report\n")
	if err := ctx.Err(); err != nil {
		return err
	}
	report := autoReport(opts, found, series, pick, trained)
	if err := atomicfile.WriteFile(filepath.Join(opts.Out, "report.md"), []byte(report), 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\nreport: %s\n", report, filepath.Join(opts.Out, "report.md"))
	return err
}

// stage returns the run directory of the stage name and whether it
// resumes: with --resume, when it began (see runs.Started). A stage that
// never began, because an earlier one was stopped, starts afresh.
func (o autoOptions) stage(name string) (dir string, resume bool, err error) {
	dir = filepath.Join(o.Out, name)
	if o.Resume {
		resume, err = runs.Started(dir)
	}
	return dir, resume, err
}

// datasetClasses counts the classes of the dataset (or the embedded sample).
func datasetClasses(dir string) (int, error) {
	var ds *data.Dataset
	var err error
	if dir == "" {
		ds, err = data.OpenSample(data.OpenOptions{})
	} else {
		ds, err = data.Open(dir, data.OpenOptions{})
	}
	if err != nil {
		return 0, err
	}
	return len(ds.Classes), nil
}

// runScaleFor grows the seed until the series passes the parameter budget,
// in dir.
func runScaleFor(ctx context.Context, opts autoOptions, arch string, classes int, dir string, resume bool, stderr io.Writer) (scale.Result, error) {
	s, err := opts.Measure.settings(opts.Runtime)
	if err != nil {
		return scale.Result{}, err
	}
	cfg := scale.DefaultConfig()
	cfg.Dir, cfg.Resume, cfg.Arch = dir, resume, arch
	cfg.Image, cfg.Classes = opts.Measure.Image, classes
	cfg.StopParams = int64(opts.MaxParams)
	cfg.LimitParams = max(cfg.LimitParams, 2*cfg.StopParams)
	cfg.EvalSettings = evalSettings(s, opts.Measure.Data)
	return scaleRun(ctx, cfg, s, opts.Measure, stderr)
}

// pickMember returns the largest member within both budgets (maxMACs 0: no
// limit on MACs).
func pickMember(series []scale.Member, maxParams, maxMACs int64) (scale.Member, error) {
	var best *scale.Member
	for i := range series {
		m := &series[i]
		if m.Params <= maxParams && (maxMACs == 0 || m.MACs <= maxMACs) && (best == nil || m.Params > best.Params) {
			best = m
		}
	}
	if best == nil {
		return scale.Member{}, fmt.Errorf("no member of the scaled series fits --max-params %d and --max-flops %d; the smallest has %d parameters and %d FLOPs",
			maxParams, 2*maxMACs, series[0].Params, 2*series[0].MACs)
	}
	return *best, nil
}

func autoReport(opts autoOptions, found search.Result, series scale.Result, pick scale.Member, trained train.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# asvit auto\n\n## Search\n\nSeed topology `%s`, policy entropy %.2f nats after %d steps (%d topologies measured at %d px).\n\n![search](search/search.png)\n\n",
		found.Topology, found.Entropy, found.Steps, found.Evaluations, opts.Measure.Image)
	fmt.Fprintf(&b, "## Scaling\n\n| step | topology | params | FLOPs | κ | L^E |\n|---|---|---|---|---|---|\n")
	for _, m := range series.Series {
		mark := ""
		if m.Step == pick.Step {
			mark = " **(trained)**"
		}
		cell := strings.ReplaceAll(m.Topology, "|", `\|`) // a bare | would end the table cell
		fmt.Fprintf(&b, "| %d | `%s`%s | %d | %d | %.4g | %.4g |\n", m.Step, cell, mark, m.Params, 2*m.MACs, float64(m.NTKCond), float64(m.LengthDistortion))
	}
	fmt.Fprintf(&b, "\n![scale](scale/scale.png)\n\n## Training\n\n")
	fmt.Fprintf(&b, "`%s`, schedule `%s`, %d epochs on %d images: test accuracy **%.4f** of epoch %d, chosen on %d held-out validation images (%.4f), %.0f training images/s, training FLOPs %.4g (%.1f%% saved against full resolution).\n\n",
		trained.Arch, trained.Schedule, trained.Epochs, trained.TrainImages, trained.TestAcc, trained.BestEpoch, trained.ValImages, trained.ValAcc, trained.TrainImagesPerS, trained.TrainFLOPs, 100*trained.Saved)
	fmt.Fprintf(&b, "The exported model is `train/model.onnx` (`asvit predict --model %s/train/model.onnx IMAGE...`).\n\n![train](train/learning_curve.png)\n", opts.Out)
	return b.String()
}
