package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/complexity"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// complexityOptions are the arguments of asvit complexity.
type complexityOptions struct {
	Runtime    runtimeOptions
	Measure    measureOptions
	Arch       string
	Channels   int
	Inputs     string
	Weights    string
	CurveBasis string
	Brute      bool
	JSON       bool
	// given reports whether a flag was set on the command line; nil means
	// none was.
	given func(flag string) bool
}

func complexityCommand(rt *runtimeOptions) *cli.Command {
	var opts complexityOptions
	return &cli.Command{
		Name:      "complexity",
		Usage:     "measure a topology's NTK condition number and length distortion at initialisation",
		ArgsUsage: "[ARCH]",
		Description: `κ is the condition number of the NTK Gram matrix of the pooled features
(norms on) over a batch of real images; L^E is the summed length of the
features' derivative along a circle of inputs (norms off). Both are
averaged over --repeat random initialisations. --inputs, --weights and
--curve-basis take the batch, the weights and the circle from files so that
another implementation can recompute the same numbers.

ARCH may also be given as --arch ARCH. With --weights, the topology, image
size, channels and classes come from the model's metadata where it records
them (models written by 'asvit export' and 'asvit train' do): ARCH, --img
and --channels may then be left out, and any that is given must agree
with the model.`,
		Flags: append(measureFlags(&opts.Measure, 224),
			archFlag(&opts.Arch),
			&cli.IntFlag{Name: "channels", Value: complexity.DefaultChannels, Destination: &opts.Channels,
				Usage: "input channels: 3 for RGB, 1 for gray"},
			&cli.StringFlag{Name: "inputs", Destination: &opts.Inputs,
				Usage: "float32 .npy B×C×R×R NTK batch, already normalised, instead of --data"},
			&cli.StringFlag{Name: "weights", Destination: &opts.Weights,
				Usage: "ONNX model whose initializers (named as the authors' state_dict) give the weights; one repeat"},
			&cli.StringFlag{Name: "curve-basis", Destination: &opts.CurveBasis,
				Usage: "float32 .npy N×2 (N = C·R·R) orthonormal columns u0, u1 of the circle, for every repeat"},
			&cli.BoolFlag{Name: "brute-force", Destination: &opts.Brute,
				Usage: "compute as the authors do (one backward pass per sample and per feature); slow, for checking"},
			&cli.BoolFlag{Name: "json", Destination: &opts.JSON,
				Usage: "print one JSON object (ntk_cond, length_distortion, bad, params, flops, seconds, ...)"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) (err error) {
			if opts.Arch, err = archArgument(c, opts.Arch); err != nil {
				return err
			}
			opts.Runtime, opts.given = *rt, c.IsSet
			return runComplexity(c.Context, opts, c.App.Writer)
		},
	}
}

type complexityReport struct {
	Arch             string         `json:"arch"`
	NTKCond          runs.Float     `json:"ntk_cond"`
	LengthDistortion runs.Float     `json:"length_distortion"`
	Bad              bool           `json:"bad"`
	Params           int64          `json:"params"`
	FLOPs            int64          `json:"flops"`
	Seconds          float64        `json:"seconds"`
	Repeats          []repeatReport `json:"repeats"`
	Image            int            `json:"image"`
	Channels         int            `json:"channels"`
	Batch            int            `json:"batch"`
	Curve            int            `json:"curve_points"`
	Radius           string         `json:"radius"`
	Seed             uint64         `json:"seed"`
	Method           string         `json:"method"`
}

type repeatReport struct {
	NTKCond          runs.Float `json:"ntk_cond"`
	LengthDistortion runs.Float `json:"length_distortion"`
	LambdaMin        runs.Float `json:"lambda_min"`
	LambdaMax        runs.Float `json:"lambda_max"`
}

func runComplexity(ctx context.Context, opts complexityOptions, stdout io.Writer) error {
	if opts.Inputs != "" && opts.Measure.Data != "" {
		return usagef("give --data or --inputs, not both")
	}
	var w *complexity.Weights
	if opts.Weights != "" {
		var err error
		if w, err = complexity.LoadWeights(opts.Weights); err != nil {
			return err
		}
	}
	net, err := opts.network(w)
	if err != nil {
		return err
	}
	if net.Arch == "" {
		return usagef("missing ARCH: give the topology as ARCH or --arch, or a --weights model that records it")
	}
	top, err := vit.Parse(net.Arch)
	if err != nil {
		return usagef("ARCH: %v", err)
	}
	if err := checkChannels(net.Channels); err != nil {
		return err
	}
	opts.Measure.Image = net.Image
	s, err := opts.Measure.settings(opts.Runtime)
	if err != nil {
		return err
	}
	s.Channels, s.Classes = net.Channels, net.Classes
	if opts.Brute {
		s.Method = complexity.BruteForce
	}
	s.CacheSize = 0
	m, err := newMeasurer(s, complexity.ProbeSource{Data: opts.Measure.Data, Inputs: opts.Inputs, CurveBasis: opts.CurveBasis})
	if err != nil {
		return err
	}
	defer m.Close()
	var res complexity.Result
	if w != nil {
		res, err = m.MeasureWeights(ctx, top, w)
	} else {
		res, err = m.Measure(ctx, top)
	}
	if err != nil {
		return err
	}
	rep := complexityReport{Arch: top.String(), NTKCond: runs.Float(res.NTKCond), LengthDistortion: runs.Float(res.LengthDistortion),
		Bad: res.Bad, Params: res.Params, FLOPs: res.FLOPs, Seconds: res.Seconds,
		Image: s.Image, Channels: s.Channels, Batch: s.Batch, Curve: s.CurvePoints, Radius: s.Radius.String(), Seed: s.Seed, Method: s.Method.String()}
	rep.Repeats = make([]repeatReport, len(res.PerRepeat))
	for i, r := range res.PerRepeat {
		rep.Repeats[i].NTKCond, rep.Repeats[i].LengthDistortion = runs.Float(r.NTKCond), runs.Float(r.LengthDistortion)
		rep.Repeats[i].LambdaMin, rep.Repeats[i].LambdaMax = runs.Float(r.LambdaMin), runs.Float(r.LambdaMax)
	}
	if opts.JSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	bad := ""
	if res.Bad {
		bad = "  (bad network: κ is not finite)"
	}
	_, err = fmt.Fprintf(stdout, "arch               %s\nNTK condition κ    %.6g%s\nlength distortion  %.6g\nparams             %d\nFLOPs              %d\nrepeats            %d (image %d px, %d channels, batch %d, %d curve points, radius %s, seed %d, %s)\nseconds            %.3f\n",
		rep.Arch, res.NTKCond, bad, res.LengthDistortion, res.Params, res.FLOPs, len(res.PerRepeat),
		s.Image, s.Channels, s.Batch, s.CurvePoints, s.Radius, s.Seed, s.Method, res.Seconds)
	return err
}

// network returns the topology, image size, channels and classes to
// measure: those of the flags and ARCH, and with --weights those its
// metadata records, which a value given on the command line must match.
func (o complexityOptions) network(w *complexity.Weights) (export.Network, error) {
	net := export.Network{Arch: o.Arch, Image: o.Measure.Image, Channels: o.Channels, Classes: complexity.DefaultClasses}
	if w == nil {
		return net, nil
	}
	rec, err := export.DecodeNetwork(w.Metadata())
	if err != nil {
		return net, fmt.Errorf("%s: %w", o.Weights, err)
	}
	if rec.Arch != "" {
		if net.Arch != "" && !sameArch(net.Arch, rec.Arch) {
			return net, usagef("ARCH %s differs from the %s that %s records (metadata %s)", net.Arch, rec.Arch, o.Weights, export.KeyArch)
		}
		net.Arch = rec.Arch
	}
	for _, f := range []struct {
		flag, key string
		dst       *int
		rec       int
	}{{"img", export.KeyImage, &net.Image, rec.Image}, {"channels", export.KeyChannels, &net.Channels, rec.Channels}} {
		if f.rec == 0 {
			continue
		}
		if o.given != nil && o.given(f.flag) && *f.dst != f.rec {
			return net, usagef("--%s %d differs from the %d that %s records (metadata %s)", f.flag, *f.dst, f.rec, o.Weights, f.key)
		}
		*f.dst = f.rec
	}
	if rec.Classes != 0 {
		net.Classes = rec.Classes
	}
	return net, nil
}
