package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/flow"
	"github.com/asvit/asvit/search"
)

// searchOptions are the arguments of asvit search.
type searchOptions struct {
	Runtime  runtimeOptions
	Measure  measureOptions
	Steps    int
	Batch    int
	NoCache  bool
	Temporal temporalOptions
	Out      string
	Resume   bool
}

func searchCommand(rt *runtimeOptions) *cli.Command {
	var opts searchOptions
	return &cli.Command{
		Name:  "search",
		Usage: "find a seed topology by REINFORCE over the training-free reward",
		Description: `Samples a topology from 12 categorical choices per step, measures its NTK
condition number κ and length distortion L^E at initialisation, and
rewards decreasing κ and increasing L^E. The run directory (--out) holds
config.json, log.jsonl, the checkpoint after every step, result.json
(with "arch", the argmax topology) and search.png; --resume continues a
killed run with the same result as an uninterrupted one.`,
		Flags: append(append(append(measureFlags(&opts.Measure, 224), parallelFlag(&opts.Measure.Parallel)),
			&cli.IntFlag{Name: "steps", Value: search.DefaultConfig().Steps, Destination: &opts.Steps,
				Usage: "policy updates (the authors use 500)"},
			&cli.IntFlag{Name: "batch-size", Value: 1, Destination: &opts.Batch,
				Usage: "topologies sampled per policy step, measured at the same time on workers (1: the authors' algorithm)"},
			&cli.BoolFlag{Name: "no-cache", Destination: &opts.NoCache,
				Usage: "measure a topology again each time it is sampled, as the authors did"},
			&cli.StringFlag{Name: "out", Value: "out/search", Destination: &opts.Out,
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
			_, err := runSearch(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

func runSearch(ctx context.Context, opts searchOptions, stdout, stderr io.Writer) (search.Result, error) {
	s, err := opts.Measure.settings(opts.Runtime)
	if err != nil {
		return search.Result{}, err
	}
	cfg := search.DefaultConfig()
	cfg.Dir, cfg.Resume, cfg.Steps, cfg.Seed, cfg.NoCache = opts.Out, opts.Resume, opts.Steps, opts.Measure.Seed, opts.NoCache
	if opts.Batch < 1 {
		return search.Result{}, usagef("--batch-size: got %d, want at least 1 topology per step", opts.Batch)
	}
	if opts.Batch > 1 { // 1 leaves config.json as the one-at-a-time search writes it
		cfg.BatchSize = opts.Batch
	}
	cfg.EvalSettings = evalSettings(s, opts.Measure.Data)
	if err := cfg.Validate(); err != nil {
		return search.Result{}, usagef("%v", err)
	}
	r := newStepReporter(stderr, "search", cfg.Steps)
	progress := &searchProgress{r: r}
	var res search.Result
	if opts.Temporal.enabled() {
		res, err = searchWorkflow(ctx, opts, cfg, progress, stderr)
	} else {
		res, err = searchLocal(ctx, cfg, s, opts.Measure, progress)
	}
	r.finish()
	if err != nil {
		return res, err
	}
	if err := search.Plot(opts.Out); err != nil {
		return res, err
	}
	_, err = fmt.Fprintf(stdout, "seed topology  %s\nentropy        %.2f nats after %d steps (%d topologies measured)\nrun directory  %s (result.json, log.jsonl, search.png)\n",
		res.Topology, res.Entropy, res.Steps, res.Evaluations, opts.Out)
	return res, err
}

func searchLocal(ctx context.Context, cfg search.Config, s complexity.Settings, mo measureOptions, progress *searchProgress) (search.Result, error) {
	eval, closeEval, err := newEvaluator(s, mo)
	if err != nil {
		return search.Result{}, err
	}
	defer closeEval()
	return search.Run(ctx, cfg, eval, progress)
}

// searchWorkflow runs the search as a Temporal workflow and writes its run
// directory when it ends.
func searchWorkflow(ctx context.Context, opts searchOptions, cfg search.Config, progress *searchProgress, stderr io.Writer) (search.Result, error) {
	if err := checkFreshOut(cfg.Dir, cfg.Resume); err != nil {
		return search.Result{}, err
	}
	settings, err := json.Marshal(opts.Measure) // workerActivities reads it back
	if err != nil {
		return search.Result{}, err
	}
	in := flow.SearchInput{Config: cfg, Version: flow.Version(), Settings: settings}
	if err := in.CheckSize(); err != nil {
		return search.Result{}, usagef("%v", err)
	}
	var out flow.SearchOutput
	progress.Start(0, cfg.Steps)
	recs, err := followWorkflow(ctx, opts.Temporal, stderr, "search", cfg.Dir, flow.SearchWorkflow, in, progress.Step, &out)
	if err != nil {
		return search.Result{}, err
	}
	return search.WriteRun(cfg, recs, out.Checkpoint)
}

// evalSettings is what config.json records of the measures, so that a run
// resumed with other measure flags is refused.
func evalSettings(s complexity.Settings, data string) map[string]any {
	return map[string]any{"image": s.Image, "channels": s.Channels, "batch": s.Batch, "curve_points": s.CurvePoints,
		"repeat": s.Repeat, "radius": s.Radius.String(), "seed": s.Seed, "data": data}
}

// searchProgress shows a search's steps; on a terminal every
// searchRecordEvery-th step and the last also stay as lines above the bar.
type searchProgress struct {
	r     *stepReporter
	total int
}

const searchRecordEvery = 10

func (p *searchProgress) Start(done, total int) { p.total = total; p.r.resume(done) }

func (p *searchProgress) Step(rec search.StepRecord) {
	status := fmt.Sprintf("step %d  entropy %.2f  reward %+.3f  κ %.4g  L^E %.4g  %s",
		rec.Step, rec.Entropy, rec.Reward, float64(rec.NTKCond), float64(rec.LengthDistortion), rec.Topology)
	if rec.Step%searchRecordEvery == 0 || rec.Step == p.total {
		p.r.record(rec.Step, status)
	} else {
		p.r.step(rec.Step, status)
	}
}

func (p *searchProgress) Finish(search.Result) { p.r.finish() }
