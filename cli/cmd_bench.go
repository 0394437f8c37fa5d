package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/profile"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
	"github.com/asvit/asvit/vit"
)

// Defaults of asvit bench.
const (
	benchPeakGFLOPs = 200 // the build machine's nominal fp32 rate
	benchTopNodes   = 10
	// benchLR is the learning rate of the timed steps, as in train's
	// BenchmarkStep32.
	benchLR = 1e-3
	// benchSeed draws the weights, the batch and the labels.
	benchSeed = 1
)

// benchOptions are the flags of asvit bench's modes; each mode reads the
// ones it declares.
type benchOptions struct {
	Runtime                         runtimeOptions
	Arch                            string
	Image, Batch, Channels, Classes int
	Curve, Inits, Chunk             int // measure: curve points, initialisations and rows per pass
	Repeat, Warmup                  int
	Profile                         string // directory; "" is off
	Top                             int
	JSON                            string
	PeakGFLOPs                      float64
}

func benchCommand(rt *runtimeOptions) *cli.Command {
	return &cli.Command{
		Name:      "bench",
		Usage:     "time training steps against forward passes, or complexity measurement, as ratios measured in one run",
		ArgsUsage: "step|measure [FLAGS]",
		Description: `The machine's load moves bare times by tens of percent, so bench measures
what is compared in one process, alternating between the two, and reports
ratios beside the times:

  asvit bench step     training steps (AdamW, as 'asvit train' runs them)
                       against forward passes of the same model and batch
  asvit bench measure  complexity measurement of a new candidate (graph
                       build, session creation, weights, runs) against a
                       cached one, as search and scale measure them

--profile DIR also writes ONNX Runtime's profiles into DIR and prints where
the kernel time goes, by op type and by node. The profiles come from extra
runs after the timed ones, because profiling slows every node, and leave
the warm-up runs out. --json FILE
writes every number. Run 'asvit bench MODE --help' for a mode's flags.`,
		Subcommands:  []*cli.Command{benchStepCommand(rt), benchMeasureCommand(rt)},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown mode %q; the modes are step and measure", c.Args().First())
			}
			return usagef("no mode given; choose step or measure")
		},
	}
}

// benchCommonFlags are the flags of every mode.
func benchCommonFlags(o *benchOptions, repeat, warmup int) []cli.Flag {
	return []cli.Flag{
		archFlag(&o.Arch),
		&cli.IntFlag{Name: "repeat", Value: repeat, Destination: &o.Repeat,
			Usage: "timed repetitions of each thing compared"},
		&cli.IntFlag{Name: "warmup", Value: warmup, Destination: &o.Warmup,
			Usage: "untimed repetitions of each before the timed ones"},
		&cli.StringFlag{Name: "profile", Destination: &o.Profile,
			Usage: "write ONNX Runtime profiles into this directory and print the kernel time by op type and node"},
		&cli.IntFlag{Name: "top", Value: benchTopNodes, Destination: &o.Top,
			Usage: "nodes listed in the per-node table of --profile (0: all)"},
		&cli.StringFlag{Name: "json", Destination: &o.JSON,
			Usage: "also write every number to this JSON file"},
		&cli.Float64Flag{Name: "peak-gflops", Value: benchPeakGFLOPs, Destination: &o.PeakGFLOPs,
			Usage: "the machine's nominal fp32 GFLOP/s that achieved rates are compared with"},
	}
}

func benchStepCommand(rt *runtimeOptions) *cli.Command {
	var opts benchOptions
	return &cli.Command{
		Name:      "step",
		Usage:     "time training steps against forward passes of the same model and batch",
		ArgsUsage: "[ARCH]",
		Description: `Builds the training step (forward, backward and the AdamW update, as
'asvit train' runs it) and the evaluation forward pass (logits only) of one
model, runs --warmup of each, then --repeat of each, alternating which goes
first, on one random batch. It reports the median and the fastest time of
each, their ratio, images per second, and the FLOPs of a step as training
counts them (3 × 2 × MACs per image: forward plus a backward of twice its
cost; the AdamW update is not counted) against a forward's 2 × MACs per
image, with the rate achieved against --peak-gflops.

ARCH may also be given as --arch ARCH.`,
		Flags: append(benchCommonFlags(&opts, 20, 3),
			&cli.IntFlag{Name: "img", Value: 32, Destination: &opts.Image, Usage: "input side in pixels"},
			&cli.IntFlag{Name: "batch", Value: 128, Destination: &opts.Batch, Usage: "images per step and per forward pass"},
			&cli.IntFlag{Name: "channels", Value: 1, Destination: &opts.Channels, Usage: "input channels: 1 for gray (Fashion-MNIST), 3 for RGB"},
			&cli.IntFlag{Name: "classes", Value: 10, Destination: &opts.Classes, Usage: "output classes"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) (err error) {
			if opts.Arch, err = archArgument(c, opts.Arch); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err = runBenchStep(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

func benchMeasureCommand(rt *runtimeOptions) *cli.Command {
	var opts benchOptions
	d := complexity.DefaultSettings()
	return &cli.Command{
		Name:      "measure",
		Usage:     "time the complexity measurement of a new candidate against a cached one",
		ArgsUsage: "[ARCH]",
		Description: `Measures κ and L^E of one topology as search and scale do (the library
loaded once, the κ batch drawn once from the embedded sample, no graph
optimisation), --repeat times as a new candidate (graph build, session
creation, weights and runs, as complexity's BenchmarkMeasure) and --repeat
times with its session cached (weights and runs only, as
BenchmarkMeasureCached), alternating. It reports the median and fastest
time of each part, the new/cached ratio, and the FLOPs a measurement cannot
avoid (--inits × (3 × batch + 2 × curve points) forward passes) against
--peak-gflops.

ARCH may also be given as --arch ARCH.`,
		Flags: append(benchCommonFlags(&opts, 5, 1),
			&cli.IntFlag{Name: "img", Value: d.Image, Destination: &opts.Image, Usage: "image side in pixels the measures run at"},
			&cli.IntFlag{Name: "batch", Value: d.Batch, Destination: &opts.Batch, Usage: "images in the NTK batch"},
			&cli.IntFlag{Name: "curve", Value: d.CurvePoints, Destination: &opts.Curve, Usage: "points on the length-distortion circle"},
			&cli.IntFlag{Name: "inits", Value: d.Repeat, Destination: &opts.Inits,
				Usage: "initialisations averaged per measurement ('asvit complexity --repeat')"},
			&cli.IntFlag{Name: "channels", Value: d.Channels, Destination: &opts.Channels, Usage: "input channels: 3 for RGB, 1 for gray"},
			chunkFlag(&opts.Chunk),
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) (err error) {
			if opts.Arch, err = archArgument(c, opts.Arch); err != nil {
				return err
			}
			opts.Runtime = *rt
			_, err = runBenchMeasure(c.Context, opts, c.App.Writer, c.App.ErrWriter)
			return err
		},
	}
}

// check validates the flags every mode has and prepares --profile and
// --json; batchMin is the smallest batch the mode takes.
func (o benchOptions) check(batchMin int) error {
	switch {
	case o.Arch == "":
		return usagef("missing ARCH: give the topology as ARCH or --arch")
	case o.Batch < batchMin:
		return usagef("--batch: got %d, want %d or more", o.Batch, batchMin)
	case o.Repeat < 1:
		return usagef("--repeat: got %d, want 1 or more", o.Repeat)
	case o.Warmup < 0:
		return usagef("--warmup: got %d, want 0 or more", o.Warmup)
	case o.Top < 0:
		return usagef("--top: got %d, want 0 (all) or more", o.Top)
	case !(o.PeakGFLOPs > 0) || math.IsInf(o.PeakGFLOPs, 0):
		return usagef("--peak-gflops: got %g, want a positive rate", o.PeakGFLOPs)
	}
	if o.JSON != "" {
		if info, err := os.Stat(filepath.Dir(o.JSON)); err != nil || !info.IsDir() {
			return usagef("--json %s: its directory %s does not exist", o.JSON, filepath.Dir(o.JSON))
		}
	}
	if o.Profile != "" {
		if err := os.MkdirAll(o.Profile, 0o755); err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
	}
	return nil
}

// benchTiming is the times of one thing timed.
type benchTiming struct {
	MedianMS float64   `json:"median_ms"`
	MinMS    float64   `json:"min_ms"`
	MeanMS   float64   `json:"mean_ms"`
	TimesMS  []float64 `json:"times_ms"` // in the order they ran
}

func newBenchTiming(ds []time.Duration) benchTiming {
	t := benchTiming{TimesMS: make([]float64, len(ds))}
	for i, d := range ds {
		t.TimesMS[i] = float64(d) / 1e6
		t.MeanMS += t.TimesMS[i] / float64(len(ds))
	}
	sorted := slices.Sorted(slices.Values(t.TimesMS))
	t.MinMS = sorted[0]
	if n := len(sorted); n%2 == 1 {
		t.MedianMS = sorted[n/2]
	} else {
		t.MedianMS = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return t
}

// benchRuntime describes where the numbers come from.
type benchRuntime struct {
	Asvit   string `json:"asvit"`
	ORT     string `json:"onnxruntime"`
	Device  string `json:"device"`
	Threads int    `json:"threads"`
	Cores   int    `json:"cores"`
	OS      string `json:"os"`
}

func newBenchRuntime(o ort.Options) benchRuntime {
	threads := o.ThreadCount()
	dev := string(o.Device)
	if dev == "" {
		dev = string(ort.CPU)
	}
	if o.Device == ort.CUDA {
		dev = fmt.Sprintf("cuda:%d", o.CUDADevice)
	}
	return benchRuntime{Asvit: Version, ORT: ort.Version(), Device: dev, Threads: threads, Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// benchProfile is what the profiles of one thing say, warm-up left out.
type benchProfile struct {
	Files []string `json:"files"` // summarised
	// WarmupFiles are the profiles of warm-up sessions, not summarised;
	// SkippedRuns is the warm-up runs left out of each summarised file.
	WarmupFiles []string        `json:"warmup_files,omitempty"`
	SkippedRuns int             `json:"skipped_runs"`
	Summary     profile.Summary `json:"summary"`
}

// profiled runs work with ONNX Runtime profiling into dir/name-…, and
// summarises the profiles its sessions wrote (work must destroy them),
// leaving out the first warmupFiles files that work reports and the first
// skipRuns runs of each other file.
func profiled(dir, name string, skipRuns int, work func(prefix string) (warmupFiles int, err error)) (*benchProfile, error) {
	prefix := filepath.Join(dir, name)
	before := len(ort.ProfilePaths(prefix))
	warm, err := work(prefix)
	if err != nil {
		return nil, err
	}
	files := ort.ProfilePaths(prefix)[before:]
	warm = min(warm, len(files))
	p := &benchProfile{WarmupFiles: files[:warm], Files: files[warm:], SkippedRuns: skipRuns}
	if len(p.Files) == 0 {
		return nil, fmt.Errorf("profile %s: ONNX Runtime wrote no profile", prefix)
	}
	var all []profile.Event
	for _, f := range p.Files {
		events, err := profile.ReadFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, profile.SkipRuns(events, skipRuns)...)
	}
	p.Summary = profile.Summarize(all)
	if p.Summary.Kernels == 0 {
		return nil, fmt.Errorf("profile %s: the profiles hold no kernel times (%s)", prefix, strings.Join(p.Files, ", "))
	}
	return p, nil
}

// writeProfile prints what a profile says: the totals, the op table and
// the top nodes.
func writeProfile(w io.Writer, what string, p *benchProfile, top int) error {
	s := p.Summary
	dir := filepath.Dir(p.Files[0])
	fmt.Fprintf(w, "\nProfile of the %s (%d file(s) in %s, %d runs, warm-up left out): kernel time %.1f ms", what, len(p.Files), dir, s.Runs, s.KernelUS/1e3)
	if s.RunUS > 0 {
		fmt.Fprintf(w, ", %.0f%% of the run time", 100*s.KernelUS/s.RunUS)
	}
	fmt.Fprint(w, ".\n\n")
	if err := s.OpsTable(w, 0); err != nil {
		return err
	}
	nodes := "every node"
	if top > 0 && len(s.Nodes) > top+1 {
		nodes = fmt.Sprintf("top %d of %d nodes", top, len(s.Nodes))
	}
	fmt.Fprintf(w, "\n%s, %s:\n\n", strings.ToUpper(what[:1])+what[1:], nodes)
	return s.NodesTable(w, top)
}

// writeBenchJSON writes v to path atomically.
func writeBenchJSON(path string, v any) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// benchStepPass is the timing of steps or forward passes.
type benchStepPass struct {
	benchTiming
	FLOPs        float64 `json:"flops"` // per step or pass
	ImagesPerS   float64 `json:"images_per_s"`
	GFLOPs       float64 `json:"gflops"`        // achieved, at the median
	PeakFraction float64 `json:"peak_fraction"` // GFLOPs / peak
}

// benchStepReport is bench step's JSON output.
type benchStepReport struct {
	Mode         string       `json:"mode"` // "step"
	Arch         string       `json:"arch"`
	Image        int          `json:"image"`
	Channels     int          `json:"channels"`
	Classes      int          `json:"classes"`
	Batch        int          `json:"batch"`
	Repeat       int          `json:"repeat"`
	Warmup       int          `json:"warmup"`
	Params       int64        `json:"params"`
	MACsPerImage int64        `json:"macs_per_image"`
	PeakGFLOPs   float64      `json:"peak_gflops"`
	Runtime      benchRuntime `json:"runtime"`
	// SetupS is the time to build both sessions and the tensors.
	SetupS  float64       `json:"setup_s"`
	Step    benchStepPass `json:"step"`
	Forward benchStepPass `json:"forward"`
	// Ratio is step over forward: at the medians, at the fastest times,
	// and of the FLOPs counted (3).
	Ratio struct {
		Median float64 `json:"median"`
		Min    float64 `json:"min"`
		FLOPs  float64 `json:"flops"`
	} `json:"ratio"`
	Profile *benchStepProfiles `json:"profile,omitempty"`
}

// benchStepProfiles are bench step's profiles, in Dir.
type benchStepProfiles struct {
	Dir     string        `json:"dir"`
	Step    *benchProfile `json:"step"`
	Forward *benchProfile `json:"forward"`
}

// benchBatch is a batch of standard-normal images and random labels.
func benchBatch(n, per, classes int) ([]float32, []int64) {
	r := rand.New(rand.NewPCG(benchSeed, 2))
	x := make([]float32, n*per)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	l := make([]int64, n)
	for i := range l {
		l[i] = int64(r.IntN(classes))
	}
	return x, l
}

func runBenchStep(ctx context.Context, opts benchOptions, stdout, stderr io.Writer) (benchStepReport, error) {
	var rep benchStepReport
	if err := opts.check(1); err != nil {
		return rep, err
	}
	m, err := newModel(opts.Arch, opts.Image, opts.Classes, opts.Channels)
	if err != nil {
		return rep, err
	}
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return rep, err
	}
	if err := ort.Init(); err != nil {
		return rep, err
	}
	spec := m.Spec()
	rep = benchStepReport{Mode: "step", Arch: spec.Topology.String(), Image: spec.Image, Channels: spec.Channels, Classes: spec.Classes,
		Batch: opts.Batch, Repeat: opts.Repeat, Warmup: opts.Warmup, Params: m.Params(), MACsPerImage: m.MACs(),
		PeakGFLOPs: opts.PeakGFLOPs, Runtime: newBenchRuntime(ortOpts)}
	rep.Step.FLOPs = train.TrainFLOPsPerMAC * float64(m.MACs()) * float64(opts.Batch)
	rep.Forward.FLOPs = 2 * float64(m.MACs()) * float64(opts.Batch)
	x, labels := benchBatch(opts.Batch, spec.Channels*spec.Image*spec.Image, spec.Classes)
	weights := m.Init(benchSeed)

	total := 2 * (opts.Warmup + opts.Repeat)
	if opts.Profile != "" {
		total *= 2
	}
	r := newStepReporter(stderr, "bench step", total)
	defer r.finish()
	done := 0
	t0 := time.Now()
	s, err := newBenchStepper(m, weights, opts.Batch, ortOpts)
	if err != nil {
		return rep, err
	}
	defer s.Destroy()
	rep.SetupS = time.Since(t0).Seconds()

	var steps, forwards []time.Duration
	for i := range opts.Warmup + opts.Repeat {
		// Alternate which goes first, so that neither always follows the
		// other.
		order := []func() (time.Duration, error){s.step(x, labels), s.forward(x)}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		var d [2]time.Duration
		for k, run := range order {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if d[k], err = run(); err != nil {
				return rep, err
			}
			done++
		}
		if i%2 == 1 {
			d[0], d[1] = d[1], d[0]
		}
		phase := "warm-up"
		if i >= opts.Warmup {
			phase = "timed"
			steps, forwards = append(steps, d[0]), append(forwards, d[1])
		}
		r.step(done, fmt.Sprintf("%s %d: step %.1f ms, forward %.1f ms", phase, i+1, float64(d[0])/1e6, float64(d[1])/1e6))
	}
	rep.Step.benchTiming, rep.Forward.benchTiming = newBenchTiming(steps), newBenchTiming(forwards)
	for _, p := range []*benchStepPass{&rep.Step, &rep.Forward} {
		p.ImagesPerS = float64(opts.Batch) / (p.MedianMS / 1e3)
		p.GFLOPs = p.FLOPs / (p.MedianMS / 1e3) / 1e9
		p.PeakFraction = p.GFLOPs / opts.PeakGFLOPs
	}
	rep.Ratio.Median = rep.Step.MedianMS / rep.Forward.MedianMS
	rep.Ratio.Min = rep.Step.MinMS / rep.Forward.MinMS
	rep.Ratio.FLOPs = rep.Step.FLOPs / rep.Forward.FLOPs
	s.Destroy()

	if opts.Profile != "" {
		rep.Profile = &benchStepProfiles{Dir: opts.Profile}
		n := opts.Warmup + opts.Repeat
		for _, p := range []struct {
			name string
			dst  **benchProfile
		}{{"step", &rep.Profile.Step}, {"forward", &rep.Profile.Forward}} {
			*p.dst, err = profiled(opts.Profile, p.name, opts.Warmup, func(prefix string) (int, error) {
				po := ortOpts
				po.Profile = prefix
				ps, err := newBenchStepper(m, weights, opts.Batch, po)
				if err != nil {
					return 0, err
				}
				defer ps.Destroy()
				run := ps.forward(x)
				if p.name == "step" {
					run = ps.step(x, labels)
				}
				for i := range n {
					if err := ctx.Err(); err != nil {
						return 0, err
					}
					if _, err := run(); err != nil {
						return 0, err
					}
					done++
					r.step(done, fmt.Sprintf("profiling the %s: %d/%d", p.name, i+1, n))
				}
				ps.Destroy() // writes the profiles
				return 0, nil
			})
			if err != nil {
				return rep, err
			}
		}
	}
	r.finish()
	if err := writeBenchStep(stdout, rep, opts.Top); err != nil {
		return rep, err
	}
	if opts.JSON != "" {
		if err := writeBenchJSON(opts.JSON, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// benchStepper times the steps and forward passes of one Stepper.
type benchStepper struct {
	*train.Stepper
	logits []float32
	batch  int
}

func newBenchStepper(m vit.Model, weights [][]float32, batch int, o ort.Options) (*benchStepper, error) {
	s, err := train.NewStepper(m, weights, train.StepperOptions{Batch: batch, WeightDecay: 0.05, LabelSmoothing: 0.1, ORT: o})
	if err != nil {
		return nil, err
	}
	return &benchStepper{Stepper: s, logits: make([]float32, batch*m.Spec().Classes), batch: batch}, nil
}

func (s *benchStepper) step(x []float32, labels []int64) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		t := time.Now()
		_, err := s.Step(x, labels, benchLR)
		return time.Since(t), err
	}
}

func (s *benchStepper) forward(x []float32) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		t := time.Now()
		err := s.Logits(x, s.batch, s.logits)
		return time.Since(t), err
	}
}

func writeBenchStep(w io.Writer, rep benchStepReport, top int) error {
	rt := rep.Runtime
	fmt.Fprintf(w, "arch     %s at %d px, %d channel(s), %d classes, batch %d\n", rep.Arch, rep.Image, rep.Channels, rep.Classes, rep.Batch)
	fmt.Fprintf(w, "runtime  ONNX Runtime %s, %s, %d threads, %d cores; asvit %s\n", rt.ORT, rt.Device, rt.Threads, rt.Cores, rt.Asvit)
	fmt.Fprintf(w, "FLOPs    %s per step (6 × MACs × batch), %s per forward pass (2 × MACs × batch)\n",
		metric(int64(rep.Step.FLOPs)), metric(int64(rep.Forward.FLOPs)))
	fmt.Fprintf(w, "runs     %d timed of each after %d warm-up, alternating; sessions built in %.2f s\n\n", rep.Repeat, rep.Warmup, rep.SetupS)
	fmt.Fprintf(w, "| | median (ms) | min (ms) | images/s | GFLOP/s | of %g GFLOP/s |\n|---|---:|---:|---:|---:|---:|\n", rep.PeakGFLOPs)
	for _, p := range []struct {
		name string
		p    benchStepPass
	}{{"training step", rep.Step}, {"forward pass", rep.Forward}} {
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.0f | %.1f | %.1f%% |\n", p.name, p.p.MedianMS, p.p.MinMS, p.p.ImagesPerS, p.p.GFLOPs, 100*p.p.PeakFraction)
	}
	fmt.Fprintf(w, "\nstep / forward: %.2f× at the medians, %.2f× at the fastest (FLOPs: %g×)\n", rep.Ratio.Median, rep.Ratio.Min, rep.Ratio.FLOPs)
	if rep.Profile != nil {
		if err := writeProfile(w, "training step", rep.Profile.Step, top); err != nil {
			return err
		}
		if err := writeProfile(w, "forward pass", rep.Profile.Forward, top); err != nil {
			return err
		}
	}
	return nil
}

// benchMeasurePart is the times of one part of a measurement, in seconds.
type benchMeasurePart struct {
	MedianS float64   `json:"median_s"`
	MinS    float64   `json:"min_s"`
	TimesS  []float64 `json:"times_s"`
}

func newBenchMeasurePart(ds []time.Duration) benchMeasurePart {
	t := newBenchTiming(ds)
	p := benchMeasurePart{MedianS: t.MedianMS / 1e3, MinS: t.MinMS / 1e3, TimesS: make([]float64, len(ds))}
	for i, ms := range t.TimesMS {
		p.TimesS[i] = ms / 1e3
	}
	return p
}

// benchMeasureReport is bench measure's JSON output.
type benchMeasureReport struct {
	Mode       string       `json:"mode"` // "measure"
	Arch       string       `json:"arch"`
	Image      int          `json:"image"`
	Channels   int          `json:"channels"`
	Batch      int          `json:"batch"`
	Curve      int          `json:"curve_points"`
	Inits      int          `json:"inits"`
	PassRows   int          `json:"pass_rows"` // κ images or curve points a pass takes (--chunk, or chosen)
	Repeat     int          `json:"repeat"`
	Warmup     int          `json:"warmup"`
	Params     int64        `json:"params"`
	FLOPs      int64        `json:"flops_per_image"` // 2 × MACs at 1000 classes
	PeakGFLOPs float64      `json:"peak_gflops"`
	Runtime    benchRuntime `json:"runtime"`
	// ProbeS is the time to draw the κ batch and the curve bases once.
	ProbeS float64 `json:"probe_s"`
	// New is a new candidate: its total and each part; Cached one whose
	// session is cached.
	New struct {
		Total   benchMeasurePart `json:"total"`
		Build   benchMeasurePart `json:"build"`
		Session benchMeasurePart `json:"session"`
		Weights benchMeasurePart `json:"weights"`
		Run     benchMeasurePart `json:"run"`
	} `json:"new"`
	Cached struct {
		Total   benchMeasurePart `json:"total"`
		Weights benchMeasurePart `json:"weights"`
		Run     benchMeasurePart `json:"run"`
	} `json:"cached"`
	// Ratio is new over cached at the medians and the fastest times;
	// SessionShare is the share of session creation in a new candidate's
	// median.
	Ratio struct {
		Median float64 `json:"median"`
		Min    float64 `json:"min"`
	} `json:"ratio"`
	SessionShare float64 `json:"session_share"`
	// FloorFLOPs is what a measurement must compute; FloorS the time it
	// takes at the peak; RunGFLOPs the rate the runs achieve (median).
	FloorFLOPs       float64               `json:"floor_flops"`
	FloorS           float64               `json:"floor_s"`
	RunGFLOPs        float64               `json:"run_gflops"`
	RunPeakFraction  float64               `json:"run_peak_fraction"`
	NTKCond          runs.Float            `json:"ntk_cond"`
	LengthDistortion runs.Float            `json:"length_distortion"`
	Bad              bool                  `json:"bad"`
	Profile          *benchMeasureProfiles `json:"profile,omitempty"`
}

// benchMeasureProfiles are bench measure's profiles, in Dir.
type benchMeasureProfiles struct {
	Dir     string        `json:"dir"`
	Measure *benchProfile `json:"measure"`
}

func runBenchMeasure(ctx context.Context, opts benchOptions, stdout, stderr io.Writer) (benchMeasureReport, error) {
	var rep benchMeasureReport
	if err := opts.check(2); err != nil {
		return rep, err
	}
	top, err := vit.Parse(opts.Arch)
	if err != nil {
		return rep, usagef("ARCH: %v", err)
	}
	if err := checkChannels(opts.Channels); err != nil {
		return rep, err
	}
	if opts.Inits < 1 {
		return rep, usagef("--inits: got %d, want 1 or more", opts.Inits)
	}
	if opts.Curve < 1 {
		return rep, usagef("--curve: got %d, want 1 or more", opts.Curve)
	}
	s := complexity.DefaultSettings()
	s.Image, s.Channels, s.Batch, s.CurvePoints, s.Repeat, s.Chunk = opts.Image, opts.Channels, opts.Batch, opts.Curve, opts.Inits, opts.Chunk
	ortOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return rep, err
	}
	s.ORT.Threads, s.ORT.Device, s.ORT.CUDADevice = ortOpts.Threads, ortOpts.Device, ortOpts.CUDADevice
	if err := s.Validate(); err != nil {
		return rep, usagef("%v", err)
	}
	// The image must suit the topology: say so as a usage error before
	// anything is built.
	m, err := newModel(opts.Arch, opts.Image, s.Classes, opts.Channels)
	if err != nil {
		return rep, err
	}
	if err := ort.Init(); err != nil {
		return rep, err
	}
	rep = benchMeasureReport{Mode: "measure", Arch: top.String(), Image: s.Image, Channels: s.Channels, Batch: s.Batch, Curve: s.CurvePoints,
		Inits: s.Repeat, Repeat: opts.Repeat, Warmup: opts.Warmup, Params: m.Params(), FLOPs: m.FLOPs(),
		PeakGFLOPs: opts.PeakGFLOPs, Runtime: newBenchRuntime(s.ORT)}
	rep.FloorFLOPs = float64(s.Repeat) * float64(3*s.Batch+2*s.CurvePoints) * float64(m.FLOPs())
	if rep.PassRows, err = complexity.PassRows(m, s); err != nil {
		return rep, err
	}
	rep.FloorS = rep.FloorFLOPs / (opts.PeakGFLOPs * 1e9)

	total := 1 + 2*(opts.Warmup+opts.Repeat)
	if opts.Profile != "" {
		total += opts.Warmup + opts.Repeat
	}
	r := newStepReporter(stderr, "bench measure", total)
	defer r.finish()
	done := 0
	t0 := time.Now()
	probe, err := complexity.NewProbe(s, complexity.ProbeSource{})
	if err != nil {
		return rep, err
	}
	rep.ProbeS = time.Since(t0).Seconds()
	newMeasurer := func(cache int, o ort.Options) (*complexity.Measurer, error) {
		ms := s
		ms.CacheSize, ms.ORT = cache, o
		return complexity.NewMeasurer(ms, probe)
	}
	fresh, err := newMeasurer(0, s.ORT)
	if err != nil {
		return rep, err
	}
	defer fresh.Close()
	cached, err := newMeasurer(1, s.ORT)
	if err != nil {
		return rep, err
	}
	defer cached.Close()

	// The cached measurer's first call builds its session: it is neither
	// timed nor a warm-up of the new candidates.
	if _, err := cached.Measure(ctx, top); err != nil {
		return rep, err
	}
	done++
	var parts [8][]time.Duration // new: total, build, session, weights, run; cached: total, weights, run
	for i := range opts.Warmup + opts.Repeat {
		order := []*complexity.Measurer{fresh, cached}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		var res [2]complexity.Result
		for _, mm := range order {
			got, err := mm.Measure(ctx, top)
			if err != nil {
				return rep, err
			}
			k := 0
			if mm == cached {
				k = 1
			}
			if got.Timing.Cached != (mm == cached) {
				return rep, fmt.Errorf("measure %s: a measurer did not keep to its cache setting", top)
			}
			res[k] = got
			done++
		}
		phase := "warm-up"
		if i >= opts.Warmup {
			phase = "timed"
			n, c := res[0], res[1]
			for k, d := range []time.Duration{secs(n.Seconds), n.Timing.Build, n.Timing.Session, n.Timing.Weights, n.Timing.Run,
				secs(c.Seconds), c.Timing.Weights, c.Timing.Run} {
				parts[k] = append(parts[k], d)
			}
			rep.NTKCond, rep.LengthDistortion, rep.Bad = runs.Float(n.NTKCond), runs.Float(n.LengthDistortion), n.Bad
		}
		r.step(done, fmt.Sprintf("%s %d: new %.3f s (session %.3f s), cached %.3f s", phase, i+1, res[0].Seconds, res[0].Timing.Session.Seconds(), res[1].Seconds))
	}
	fresh.Close()
	cached.Close()
	rep.New.Total, rep.New.Build, rep.New.Session = newBenchMeasurePart(parts[0]), newBenchMeasurePart(parts[1]), newBenchMeasurePart(parts[2])
	rep.New.Weights, rep.New.Run = newBenchMeasurePart(parts[3]), newBenchMeasurePart(parts[4])
	rep.Cached.Total, rep.Cached.Weights, rep.Cached.Run = newBenchMeasurePart(parts[5]), newBenchMeasurePart(parts[6]), newBenchMeasurePart(parts[7])
	rep.Ratio.Median = rep.New.Total.MedianS / rep.Cached.Total.MedianS
	rep.Ratio.Min = rep.New.Total.MinS / rep.Cached.Total.MinS
	rep.SessionShare = rep.New.Session.MedianS / rep.New.Total.MedianS
	if run := rep.Cached.Run.MedianS; run > 0 {
		rep.RunGFLOPs = rep.FloorFLOPs / run / 1e9
		rep.RunPeakFraction = rep.RunGFLOPs / opts.PeakGFLOPs
	}

	if opts.Profile != "" {
		rep.Profile = &benchMeasureProfiles{Dir: opts.Profile}
		n := opts.Warmup + opts.Repeat
		rep.Profile.Measure, err = profiled(opts.Profile, "measure", 0, func(prefix string) (int, error) {
			po := s.ORT
			po.Profile = prefix
			pm, err := newMeasurer(0, po)
			if err != nil {
				return 0, err
			}
			defer pm.Close()
			// Without a cache each measurement's session is destroyed,
			// and its profile written, before the next one starts.
			before := len(ort.ProfilePaths(prefix))
			warm := 0
			for i := range n {
				if i == opts.Warmup {
					warm = len(ort.ProfilePaths(prefix)) - before
				}
				if _, err := pm.Measure(ctx, top); err != nil {
					return 0, err
				}
				done++
				r.step(done, fmt.Sprintf("profiling measurements: %d/%d", i+1, n))
			}
			pm.Close() // destroys any session left, which writes its profile
			return warm, nil
		})
		if err != nil {
			return rep, err
		}
	}
	r.finish()
	if err := writeBenchMeasure(stdout, rep, opts.Top); err != nil {
		return rep, err
	}
	if opts.JSON != "" {
		if err := writeBenchJSON(opts.JSON, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func secs(s float64) time.Duration { return time.Duration(s * 1e9) }

func writeBenchMeasure(w io.Writer, rep benchMeasureReport, top int) error {
	rt := rep.Runtime
	fmt.Fprintf(w, "arch     %s at %d px, %d channel(s); batch %d, %d curve points, %d initialisation(s) per measurement; passes of at most %d rows\n",
		rep.Arch, rep.Image, rep.Channels, rep.Batch, rep.Curve, rep.Inits, rep.PassRows)
	fmt.Fprintf(w, "runtime  ONNX Runtime %s, %s, %d threads, %d cores; asvit %s\n", rt.ORT, rt.Device, rt.Threads, rt.Cores, rt.Asvit)
	fmt.Fprintf(w, "runs     %d timed of each after %d warm-up, alternating; probe drawn once in %.2f s\n\n", rep.Repeat, rep.Warmup, rep.ProbeS)
	fmt.Fprint(w, "| per candidate | median (s) | min (s) |\n|---|---:|---:|\n")
	for _, p := range []struct {
		name string
		p    benchMeasurePart
	}{
		{"new: total", rep.New.Total}, {"new: graph build", rep.New.Build}, {"new: session creation", rep.New.Session},
		{"new: weights", rep.New.Weights}, {"new: runs", rep.New.Run},
		{"cached: total", rep.Cached.Total}, {"cached: weights", rep.Cached.Weights}, {"cached: runs", rep.Cached.Run},
	} {
		fmt.Fprintf(w, "| %s | %.4f | %.4f |\n", p.name, p.p.MedianS, p.p.MinS)
	}
	fmt.Fprintf(w, "\nnew / cached: %.2f× at the medians, %.2f× at the fastest; session creation is %.0f%% of a new candidate\n",
		rep.Ratio.Median, rep.Ratio.Min, 100*rep.SessionShare)
	fmt.Fprintf(w, "FLOP floor: %s FLOPs per measurement, %.3g s at %g GFLOP/s; the runs achieve %.1f GFLOP/s (%.1f%% of it)\n",
		metric(int64(rep.FloorFLOPs)), rep.FloorS, rep.PeakGFLOPs, rep.RunGFLOPs, 100*rep.RunPeakFraction)
	if rep.Profile != nil {
		p := rep.Profile.Measure
		if err := writeProfile(w, "measurement", p, top); err != nil {
			return err
		}
		fmt.Fprint(w, "\nSession events:\n\n| event | calls | total (ms) | mean (ms) |\n|---|---:|---:|---:|\n")
		for _, st := range p.Summary.Session {
			fmt.Fprintf(w, "| %s | %d | %.2f | %.3f |\n", st.Name, st.Calls, st.TotalUS/1e3, st.MeanUS/1e3)
		}
	}
	return nil
}
