package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/flow"
	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/vit"
)

// scaleOptions are the arguments of asvit scale.
type scaleOptions struct {
	Runtime     runtimeOptions
	Measure     measureOptions
	Arch        string
	MaxParams   float64
	LimitParams float64
	Out         string
	Resume      bool
	Temporal    temporalOptions
}

func scaleCommand(rt *runtimeOptions) *cli.Command {
	var opts scaleOptions
	d := scale.DefaultConfig()
	return &cli.Command{
		Name:  "scale",
		Usage: "grow a seed topology into a series of models, training-free",
		Description: `Starts from the seed at hidden 8 with one block per stage. Each step tries
one more block in each stage times a width growth of 5, 10, 15 or 20%,
measures κ and L^E on the narrow model, counts parameters at 4× width
(1000 classes), and keeps the candidate with the best rank sum. It stops
once the chosen model reaches --max-params. The run directory holds
config.json, log.jsonl, the checkpoint, result.json ("series") and
scale.png; --resume continues a killed run.`,
		Flags: append(append(append(measureFlags(&opts.Measure, 224), parallelFlag(&opts.Measure.Parallel)),
			&cli.StringFlag{Name: "arch", Value: scale.AuthorsArch, Destination: &opts.Arch,
				Usage: "seed topology K,S,E|...|H to grow (default: the authors' searched seed)"},
			&cli.Float64Flag{Name: "max-params", Value: float64(d.StopParams), Destination: &opts.MaxParams,
				Usage: "stop once the chosen model has at least this many parameters"},
			&cli.Float64Flag{Name: "limit-params", Value: float64(d.LimitParams), Destination: &opts.LimitParams,
				Usage: "drop candidates with more parameters than this"},
			&cli.StringFlag{Name: "out", Value: "out/scale", Destination: &opts.Out,
				Usage: "run directory"},
			&cli.BoolFlag{Name: "resume", Destination: &opts.Resume,
				Usage: "continue the run in --out (its settings must match)"},
		), temporalFlags(&opts.Temporal, true)...),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, ""); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err := runScale(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

func runScale(ctx context.Context, opts scaleOptions, stdout, stderr io.Writer) (scale.Result, error) {
	if _, err := vit.Parse(opts.Arch); err != nil {
		return scale.Result{}, usagef("--arch: %v", err)
	}
	s, err := opts.Measure.settings(opts.Runtime)
	if err != nil {
		return scale.Result{}, err
	}
	cfg := scale.DefaultConfig()
	cfg.Dir, cfg.Resume, cfg.Arch = opts.Out, opts.Resume, opts.Arch
	cfg.Image = opts.Measure.Image
	cfg.StopParams, cfg.LimitParams = int64(opts.MaxParams), int64(opts.LimitParams)
	cfg.EvalSettings = evalSettings(s, opts.Measure.Data)
	if err := cfg.Validate(); err != nil {
		return scale.Result{}, usagef("%v", err)
	}
	var res scale.Result
	if opts.Temporal.enabled() {
		res, err = scaleWorkflow(ctx, opts, cfg, stderr)
	} else {
		res, err = scaleRun(ctx, cfg, s, opts.Measure, stderr)
	}
	if err != nil {
		return res, err
	}
	_, err = io.WriteString(stdout, seriesTable(res.Series)+fmt.Sprintf("stop: %s\nrun directory: %s (result.json, log.jsonl, scale.png)\n", res.Stop, opts.Out))
	return res, err
}

// scaleRun measures candidates with settings s and the probe and
// parallelism of mo, grows the series and draws scale.png.
func scaleRun(ctx context.Context, cfg scale.Config, s complexity.Settings, mo measureOptions, stderr io.Writer) (scale.Result, error) {
	eval, closeEval, err := newEvaluator(s, mo)
	if err != nil {
		return scale.Result{}, err
	}
	defer closeEval()
	r := newStepReporter(stderr, "scale", -1)
	res, err := scale.Run(ctx, cfg, eval, &scaleProgress{r: r})
	r.finish()
	if err != nil {
		return res, err
	}
	return res, scale.Plot(cfg.Dir)
}

// scaleWorkflow runs the scaling as a Temporal workflow, each step's
// candidates at the same time, and writes its run directory when it ends.
func scaleWorkflow(ctx context.Context, opts scaleOptions, cfg scale.Config, stderr io.Writer) (scale.Result, error) {
	if err := checkFreshOut(cfg.Dir, cfg.Resume); err != nil {
		return scale.Result{}, err
	}
	settings, err := json.Marshal(opts.Measure) // workerActivities reads it back
	if err != nil {
		return scale.Result{}, err
	}
	in := flow.ScaleInput{Config: cfg, Version: flow.Version(), Settings: settings}
	r := newStepReporter(stderr, "scale", -1)
	p := &scaleProgress{r: r}
	p.Start(0)
	var res scale.Result
	recs, err := followWorkflow(ctx, opts.Temporal, stderr, "scale", cfg.Dir, flow.ScaleWorkflow, in, p.Step, &res)
	r.finish()
	if err != nil {
		return res, err
	}
	if err := scale.WriteRun(cfg, recs, res); err != nil {
		return res, err
	}
	return res, scale.Plot(cfg.Dir)
}

// seriesTable lists a scaling series, one member per line.
func seriesTable(series []scale.Member) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%4s  %-44s  %12s  %14s  %10s  %10s\n", "step", "topology", "params", "MACs", "κ", "L^E")
	for _, m := range series {
		fmt.Fprintf(&b, "%4d  %-44s  %12d  %14d  %10.4g  %10.4g\n", m.Step, m.Topology, m.Params, m.MACs, float64(m.NTKCond), float64(m.LengthDistortion))
	}
	return b.String()
}

// scaleProgress shows a scaling run's candidates on the bar and its steps
// as lines.
type scaleProgress struct {
	r    *stepReporter
	done int
}

func (p *scaleProgress) Start(done int) { p.done = done; p.r.resume(done) }

func (p *scaleProgress) Candidate(step, i, n int, c scale.Candidate) {
	p.r.step(p.done, fmt.Sprintf("step %d: candidate %d/%d (stage %d +1 block, width +%.0f%%)", step, i+1, n, c.Stage, 100*c.Ratio))
}

func (p *scaleProgress) Step(rec scale.StepRecord) {
	p.done = rec.Step
	m := rec.Member
	p.r.record(p.done, fmt.Sprintf("step %d: %s  %.1fM params  κ %.4g  L^E %.4g", rec.Step, m.Topology, float64(m.Params)/1e6, float64(m.NTKCond), float64(m.LengthDistortion)))
}

func (p *scaleProgress) Finish(scale.Result) { p.r.finish() }
