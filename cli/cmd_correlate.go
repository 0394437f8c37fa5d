package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/flow"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/study"
)

// archList collects repeated --arch values; a topology's own commas do not
// split it.
type archList []string

func (a *archList) Set(v string) error { *a = append(*a, v); return nil }
func (a *archList) String() string     { return strings.Join(*a, " ") }

// correlateOptions are the arguments of asvit correlate.
type correlateOptions struct {
	Runtime  runtimeOptions
	Config   study.Config
	Archs    archList
	Seeds    cli.Uint64Slice
	Report   string
	Temporal temporalOptions
}

func correlateCommand(rt *runtimeOptions) *cli.Command {
	var opts correlateOptions
	d := study.DefaultConfig()
	opts.Config = d
	c := &opts.Config
	return &cli.Command{
		Name:  "correlate",
		Usage: "measure how well κ, L^E and the baseline proxies predict trained accuracy",
		Description: `Draws --n topologies uniformly from the search space valid at --img (plus
every --arch), measures at initialisation their parameters, FLOPs, κ, L^E
and the baseline proxies grad_norm, snip, synflow, NASWOT and DSS on one
probe batch, trains each with the same budget once per --train-seeds seed
(the exported epoch chosen on a validation split held out from the
training data), and reports Kendall τ and Spearman ρ of every proxy
against validation and test accuracy with 95% bootstrap intervals, what
each proxy's top pick reached, the seed-to-seed τ with two or more seeds,
and where each --arch falls among the drawn topologies.

The run directory (--out) holds config.json, log.jsonl, one training run
per topology and seed under train/, results.csv, summary.json, scatter.png
and tau.png; --resume continues a killed study, losing only the work in
flight. --report DIR recomputes and prints the table of a study, finished
or not.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "data", Destination: &c.Data,
				Usage: "dataset directory (MNIST/Fashion-MNIST IDX, CIFAR binary or an image folder); default: the embedded Fashion-MNIST sample"},
			&cli.IntFlag{Name: "img", Value: d.Image, Destination: &c.Image, Usage: "image side in pixels, for the proxies and training"},
			&cli.IntFlag{Name: "channels", Destination: &c.Channels, Usage: "input channels, 1 or 3; 0 takes the dataset's"},
			&cli.IntFlag{Name: "n", Value: d.N, Destination: &c.N, Usage: "topologies drawn uniformly from the space valid at --img"},
			&cli.GenericFlag{Name: "arch", Value: &opts.Archs, Usage: "a topology to place among the drawn ones (a searched seed, say); repeat for more"},
			&cli.Uint64Flag{Name: "seed", Destination: &c.Seed, Usage: "draws the topologies, the probe batch and the proxies' weights"},
			&cli.Uint64SliceFlag{Name: "train-seeds", Value: cli.NewUint64Slice(d.TrainSeeds...), Destination: &opts.Seeds,
				Usage: "one training per seed and topology, comma-separated; accuracies are averaged, and two or more give the seed-to-seed τ"},
			&cli.IntFlag{Name: "epochs", Value: d.Epochs, Destination: &c.Epochs, Usage: "epochs of every training"},
			&cli.IntFlag{Name: "batch", Value: d.Batch, Destination: &c.Batch, Usage: "training batch"},
			&cli.IntFlag{Name: "train-images", Destination: &c.TrainImages, Usage: "train on a stratified subset of this many images (0: all that validation leaves)"},
			&cli.Float64Flag{Name: "val-fraction", Value: d.ValFraction, Destination: &c.ValFraction, Usage: "fraction of the training split held out for validation"},
			&cli.StringFlag{Name: "retoken", Value: d.Retoken, Destination: &c.Retoken,
				Usage: "re-tokenization schedule of every training; the default trains at full resolution so that topologies differ in architecture only"},
			&cli.IntFlag{Name: "probe-batch", Value: d.ProbeBatch, Destination: &c.ProbeBatch, Usage: "images in the batch every proxy sees"},
			&cli.IntFlag{Name: "curve", Value: d.CurvePoints, Destination: &c.CurvePoints, Usage: "points on the length-distortion circle"},
			&cli.IntFlag{Name: "repeat", Value: d.Repeat, Destination: &c.Repeat, Usage: "initialisations averaged by κ and L^E"},
			&cli.IntFlag{Name: "bootstrap", Value: d.Bootstrap, Destination: &c.Bootstrap, Usage: "resamples of each 95% interval"},
			&cli.IntFlag{Name: "jobs", Value: d.Jobs, Destination: &c.Jobs, Usage: "trainings at once, sharing the threads"},
			&cli.StringFlag{Name: "out", Value: "out/correlate", Destination: &c.Out, Usage: "run directory"},
			&cli.BoolFlag{Name: "resume", Destination: &c.Resume, Usage: "continue the study in --out (its settings must match; --threads, --device and --jobs may change)"},
			&cli.BoolFlag{Name: "remeasure", Destination: &c.Remeasure,
				Usage: "with --resume: measure every topology again (after a proxy changed), keeping the trainings; keep a copy of the old summary.json to compare"},
			&cli.StringFlag{Name: "report", Destination: &opts.Report, Usage: "print the table of the study in this directory and redraw its files, without running anything"},
		}, temporalFlags(&opts.Temporal, true)...),
		OnUsageError: onUsageError,
		Action: func(ctx *cli.Context) error {
			if _, err := requireArgs(ctx, 0, 0, ""); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err := runCorrelate(ctx.Context, opts, ctx.App.Writer, ctx.App.ErrWriter)
			return err
		},
	}
}

func runCorrelate(ctx context.Context, opts correlateOptions, stdout, stderr io.Writer) (study.Summary, error) {
	if opts.Report != "" {
		s, err := study.WriteReport(opts.Report)
		if err != nil {
			return s, err
		}
		_, err = io.WriteString(stdout, study.Table(s))
		return s, err
	}
	cfg := opts.Config
	cfg.Archs, cfg.TrainSeeds = opts.Archs, opts.Seeds.Value()
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return study.Summary{}, err
	}
	cfg.ORT, cfg.Version = ortOpts, Version
	if err := cfg.Validate(); err != nil {
		return study.Summary{}, usagef("%v", err)
	}
	if cfg.Remeasure && !cfg.Resume {
		return study.Summary{}, usagef("--remeasure needs --resume: it measures the topologies of an existing study again")
	}
	r := newStepReporter(stderr, "correlate", -1)
	var s study.Summary
	if opts.Temporal.enabled() {
		s, err = correlateWorkflow(ctx, opts.Temporal, cfg, &correlateProgress{r: r}, stderr)
	} else {
		s, err = correlateLocal(ctx, cfg, &correlateProgress{r: r})
	}
	r.finish()
	if err != nil {
		return s, err
	}
	_, err = fmt.Fprintf(stdout, "%s\nrun directory %s (results.csv, summary.json, scatter.png, tau.png)\n", study.Table(s), cfg.Out)
	return s, err
}

func correlateLocal(ctx context.Context, cfg study.Config, p *correlateProgress) (study.Summary, error) {
	local, err := study.NewLocal(cfg)
	if err != nil {
		return study.Summary{}, err
	}
	defer local.Close()
	return study.Run(ctx, cfg, local, p)
}

// correlateWorkflow runs the study as a Temporal workflow, its trainings
// in --out/train on the workers (give a path they share), and writes the
// run directory and report when it ends.
func correlateWorkflow(ctx context.Context, t temporalOptions, cfg study.Config, p *correlateProgress, stderr io.Writer) (study.Summary, error) {
	if err := checkFreshOut(cfg.Out, cfg.Resume || cfg.Remeasure); err != nil {
		return study.Summary{}, err
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return study.Summary{}, err
	}
	cands, err := study.Candidates(cfg)
	if err != nil {
		return study.Summary{}, err
	}
	in := flow.CorrelateInput{Config: cfg, Out: out, Version: flow.Version()}
	if err := in.CheckSize(); err != nil {
		return study.Summary{}, usagef("%v", err)
	}
	// The trainings may land in --out/train first (a shared path): create
	// the run directory now, so that it is not taken for someone else's.
	started, err := runs.Started(cfg.Out)
	if err != nil {
		return study.Summary{}, err
	}
	d, err := runs.Open(cfg.Out, study.Kind, cfg, started)
	if err != nil {
		return study.Summary{}, err
	}
	if err := d.Close(); err != nil {
		return study.Summary{}, err
	}
	p.Start(0, len(cands)*(1+len(cfg.TrainSeeds)))
	var res flow.CorrelateOutput
	_, err = followWorkflow(ctx, t, stderr, "correlate", cfg.Out, flow.CorrelateWorkflow, in, func(r flow.CorrelateRecord) {
		if r.Measures != nil {
			p.Measured(r.Candidate, *r.Measures)
		}
		if r.Trained != nil {
			p.Trained(r.Candidate, *r.Trained)
		}
	}, &res)
	if err != nil {
		return study.Summary{}, err
	}
	return study.WriteRun(cfg, res.Rows)
}

// correlateProgress shows measurements and trainings as they finish; on a
// terminal, trainings also stay as lines above the bar.
type correlateProgress struct {
	r     *stepReporter
	done  int
	total int
}

func (p *correlateProgress) Start(done, total int) {
	p.done, p.total = done, total
	p.r.setTotal(total)
	p.r.resume(done)
}

func (p *correlateProgress) Measured(c study.Candidate, m study.Measures) {
	p.done++
	p.r.step(p.done, fmt.Sprintf("%d/%d measured %s  κ %.4g  L^E %.4g  (%.1f s)", p.done, p.total, c.Arch,
		float64(m.NTKCond), float64(m.LengthDistortion), m.ComplexitySeconds+m.ProxySeconds))
}

func (p *correlateProgress) Trained(c study.Candidate, t study.Trained) {
	p.done++
	p.r.record(p.done, fmt.Sprintf("%d/%d trained %s seed %d  val %.4f  test %.4f  (%s)", p.done, p.total, c.Arch, t.Seed,
		float64(t.ValAcc), float64(t.TestAcc), (time.Duration(t.Seconds)*time.Second).Round(time.Second)))
}
