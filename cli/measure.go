package cli

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/trainfree"
	"github.com/asvit/asvit/vit"
)

// measureOptions are the flags shared by every command that measures
// topologies (complexity, search, scale, auto).
type measureOptions struct {
	Image  int    `json:"image"`
	Batch  int    `json:"batch"`
	Curve  int    `json:"curve_points"`
	Repeat int    `json:"repeat"`
	Radius string `json:"radius"`
	Seed   uint64 `json:"seed"`
	Data   string `json:"data"`
	Chunk  int    `json:"chunk,omitempty"`
	// Parallel is how many candidates of a step are measured at once, on
	// this machine only (--parallel, on the commands that build an
	// evaluator with newEvaluator).
	Parallel int `json:"-"`
}

func measureFlags(o *measureOptions, image int) []cli.Flag {
	d := complexity.DefaultSettings()
	return []cli.Flag{
		&cli.IntFlag{Name: "img", Value: image, Destination: &o.Image,
			Usage: "image side in pixels the measures run at"},
		&cli.IntFlag{Name: "batch", Value: d.Batch, Destination: &o.Batch,
			Usage: "images in the NTK batch (the authors use 16)"},
		&cli.IntFlag{Name: "curve", Value: d.CurvePoints, Destination: &o.Curve,
			Usage: "points on the length-distortion circle, both ends included (the authors use 10)"},
		&cli.IntFlag{Name: "repeat", Value: d.Repeat, Destination: &o.Repeat,
			Usage: "random initialisations averaged per topology (the authors use 5)"},
		&cli.StringFlag{Name: "radius", Value: "1", Destination: &o.Radius,
			Usage: "radius of the input circle: 1 (the authors' code) or sqrt-n (the paper's formula)"},
		&cli.Uint64Flag{Name: "seed", Destination: &o.Seed,
			Usage: "draws the NTK batch, the curve bases and every candidate's weights"},
		&cli.StringFlag{Name: "data", Destination: &o.Data,
			Usage: "dataset directory (MNIST/Fashion-MNIST IDX, CIFAR binary or an image folder) for the NTK batch; default: the embedded Fashion-MNIST sample"},
		chunkFlag(&o.Chunk),
	}
}

// parallelFlag is --parallel, for the commands that measure many
// candidates.
func parallelFlag(dst *int) cli.Flag {
	return &cli.IntFlag{Name: "parallel", Value: 1, Destination: dst,
		Usage: "measure up to N candidates of a step at once on this machine, each with 1/N of the threads; speeds up scale (16 candidates a step) and search with --batch-size above 1"}
}

// chunkFlag is --chunk, complexity.Settings.Chunk.
func chunkFlag(dst *int) cli.Flag {
	return &cli.IntFlag{Name: "chunk", Destination: dst,
		Usage: "most NTK images or curve points one pass of a measurement takes; fewer use less memory. 0 chooses from the network's activations (about 768 MiB of them a pass), which keeps the whole batch in one pass up to about 112 px"}
}

// settings converts the flags; a bad value is a usage error.
func (o measureOptions) settings(rt runtimeOptions) (complexity.Settings, error) {
	s := complexity.DefaultSettings()
	s.Image, s.Batch, s.CurvePoints, s.Repeat, s.Seed, s.Chunk = o.Image, o.Batch, o.Curve, o.Repeat, o.Seed, o.Chunk
	r, err := complexity.ParseRadius(o.Radius)
	if err != nil {
		return s, usagef("--radius: %v", err)
	}
	s.Radius = r
	ortOpts, err := rt.sessionOptions()
	if err != nil {
		return s, err
	}
	s.ORT.Threads, s.ORT.Device, s.ORT.CUDADevice = ortOpts.Threads, ortOpts.Device, ortOpts.CUDADevice
	if err := s.Validate(); err != nil {
		return s, usagef("%v", err)
	}
	return s, nil
}

// newMeasurer draws the probe (NTK batch and curve bases) once and returns
// a measurer for every candidate of a run.
func newMeasurer(s complexity.Settings, src complexity.ProbeSource) (*complexity.Measurer, error) {
	p, err := complexity.NewProbe(s, src)
	if err != nil {
		return nil, err
	}
	return complexity.NewMeasurer(s, p)
}

// newEvaluator returns the evaluator of a run, with the function that
// closes it: one measurer, or with --parallel N a trainfree.Parallel of N
// measurers sharing one probe, each with its share of the threads.
func newEvaluator(s complexity.Settings, mo measureOptions) (trainfree.Evaluator, func(), error) {
	n := mo.Parallel
	if n < 1 {
		return nil, nil, usagef("--parallel: got %d, want 1 or more", n)
	}
	p, err := complexity.NewProbe(s, probeSource(mo))
	if err != nil {
		return nil, nil, err
	}
	if n > 1 {
		s.ORT.Threads = max(1, s.ORT.ThreadCount()/n)
	}
	var evals trainfree.Parallel
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	for range n {
		m, err := complexity.NewMeasurer(s, p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		evals, closers = append(evals, evaluator(m)), append(closers, m.Close)
	}
	if n == 1 {
		return evals[0], closeAll, nil
	}
	return evals, closeAll, nil
}

// probeSource is where the NTK batch comes from.
func probeSource(o measureOptions) complexity.ProbeSource {
	return complexity.ProbeSource{Data: o.Data}
}

// evaluator adapts a measurer to the search and scale pipelines.
func evaluator(m *complexity.Measurer) trainfree.Evaluator {
	return trainfree.EvaluatorFunc(func(ctx context.Context, t vit.Topology) (trainfree.Measure, error) {
		r, err := m.Measure(ctx, t)
		if err != nil {
			return trainfree.Measure{}, err
		}
		return trainfree.Measure{NTKCond: r.NTKCond, LengthDistortion: r.LengthDistortion, Bad: r.Bad}, nil
	})
}
