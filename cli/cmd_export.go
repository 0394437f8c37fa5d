package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/vit"
)

// ImageNet's normalisation, the default for RGB models; gray models default
// to the averages of the three channels.
var (
	imageNetMean = []float32{0.485, 0.456, 0.406}
	imageNetStd  = []float32{0.229, 0.224, 0.225}
)

// exportOptions are the arguments of asvit export.
type exportOptions struct {
	Arch                     string
	Out                      string
	Image, Classes, Channels int
	Seed                     uint64
	Features                 bool
	Mean, Std                string // comma-separated; empty takes the defaults
	ClassNames               string // a file with one name per line, or a comma-separated list
}

func exportCommand() *cli.Command {
	var opts exportOptions
	return &cli.Command{
		Name:  "export",
		Usage: "write a topology's inference graph with its weights as an ONNX model",
		Description: `The model takes float32 batches N×C×R×R named "` + vit.InputName + `" (any N) and returns
"` + vit.LogitsName + `" (N×classes) or, with --features, "` + vit.FeaturesName + `" (N×features, the mean
of the last stage's tokens). Its metadata records the topology, input size,
normalisation and class names that 'asvit predict' needs. The weights are
the initial ones drawn from --seed. The file is written atomically.`,
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "arch", Destination: &opts.Arch,
				Usage: `topology string (required), e.g. "8,2,3|4,1,2|4,1,4|4,1,6|32"; see 'asvit info --help'`},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Destination: &opts.Out,
				Usage: "path of the ONNX file to write (required); its directory must exist"},
		}, modelFlags(&opts.Image, &opts.Classes, &opts.Channels), []cli.Flag{
			&cli.Uint64Flag{Name: "seed", Destination: &opts.Seed,
				Usage: "seed of the initial weights"},
			&cli.BoolFlag{Name: "features", Destination: &opts.Features,
				Usage: "output the pooled features instead of the logits"},
			&cli.StringFlag{Name: "mean", Destination: &opts.Mean, DefaultText: "0.485,0.456,0.406; 0.449 for gray",
				Usage: "per-channel mean on the [0,1] scale that inputs are normalised with: one value per channel, or one for all"},
			&cli.StringFlag{Name: "std", Destination: &opts.Std, DefaultText: "0.229,0.224,0.225; 0.226 for gray",
				Usage: "per-channel standard deviation on the [0,1] scale, like --mean"},
			&cli.StringFlag{Name: "class-names", Destination: &opts.ClassNames,
				Usage: "class names, one per class: a file with one name per line, or a comma-separated list"},
		}),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, "no arguments (give the topology with --arch)"); err != nil {
				return err
			}
			return runExport(c.Context, opts, c.App.Writer)
		},
	}
}

// normalization returns the mean and std for channels from the flags.
func (o exportOptions) normalization() (mean, std []float32, err error) {
	mean, std = imageNetMean, imageNetStd
	if o.Channels == 1 {
		mean, std = []float32{0.449}, []float32{0.226}
	}
	if o.Mean != "" {
		if mean, err = parseNorm("mean", o.Mean, o.Channels, false); err != nil {
			return nil, nil, &UsageError{Err: err}
		}
	}
	if o.Std != "" {
		if std, err = parseNorm("std", o.Std, o.Channels, true); err != nil {
			return nil, nil, &UsageError{Err: err}
		}
	}
	return mean, std, nil
}

// classNames reads --class-names: the lines of a file when it names one,
// else a comma-separated list. It returns nil when the flag is empty.
func (o exportOptions) classNames() ([]string, error) {
	if o.ClassNames == "" {
		return nil, nil
	}
	if o.Features {
		return nil, usagef("--class-names has no use with --features, which outputs no classes")
	}
	text, sep, from := o.ClassNames, ",", "--class-names"
	if fi, err := os.Stat(o.ClassNames); err == nil && fi.Mode().IsRegular() {
		b, err := os.ReadFile(o.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("read class names: %w", err)
		}
		text, sep, from = strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", o.ClassNames
	}
	names, err := splitNames(text, sep)
	if err != nil {
		return nil, usagef("%s: %v", from, err)
	}
	if len(names) != o.Classes {
		if sep == "," && len(names) == 1 {
			return nil, usagef("--class-names: %q is neither a file nor a comma-separated list of %d names (one per class)", o.ClassNames, o.Classes)
		}
		return nil, usagef("%s: got %d class names for %d classes; give one name per class or set --classes %d", from, len(names), o.Classes, len(names))
	}
	return names, nil
}

// runExport builds the model and writes it to opts.Out.
func runExport(ctx context.Context, opts exportOptions, stdout io.Writer) error {
	switch {
	case opts.Arch == "":
		return usagef("missing --arch: give a topology such as \"8,2,3|4,1,2|4,1,4|4,1,6|32\"")
	case opts.Out == "":
		return usagef("missing --out: give the path of the ONNX file to write")
	}
	m, err := newModel(opts.Arch, opts.Image, opts.Classes, opts.Channels)
	if err != nil {
		return err
	}
	mean, std, err := opts.normalization()
	if err != nil {
		return err
	}
	names, err := opts.classNames()
	if err != nil {
		return err
	}
	meta := modelMeta{
		Arch: m.Spec().Topology.String(), Image: opts.Image, Channels: opts.Channels, Classes: opts.Classes,
		Mean: mean, Std: std, ClassNames: names, Output: outputLogits, Version: Version,
	}
	out := vit.Logits
	if opts.Features {
		meta.Output, out = outputFeatures, vit.Features
	}
	model, err := buildModel(m, out, opts.Seed, meta)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(opts.Out, model, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	width := fmt.Sprintf("%d logits", opts.Classes)
	if opts.Features {
		width = fmt.Sprintf("%d features", m.Spec().Features())
	}
	fmt.Fprintf(stdout, "wrote %s: %s, input N×%d×%d×%d → %s, %s parameters (seed %d), %s\n",
		opts.Out, meta.Arch, opts.Channels, opts.Image, opts.Image, width, groupDigits(m.Params()), opts.Seed, byteSize(len(model)))
	return nil
}

// buildModel serialises m's inference graph with its initial weights for
// seed and the metadata.
func buildModel(m vit.Model, out vit.Output, seed uint64, meta modelMeta) ([]byte, error) {
	g, err := m.Graph(vit.GraphConfig{
		ForwardOptions: vit.ForwardOptions{Output: out},
		Batch:          1,
		Weights:        m.Init(seed),
		DynamicBatch:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("build graph: %w", err)
	}
	props, err := meta.encode()
	if err != nil {
		return nil, err
	}
	props[metaSeed] = strconv.FormatUint(seed, 10)
	for k, v := range props {
		g.Metadata[k] = v
	}
	b, err := g.Model()
	if err != nil {
		return nil, fmt.Errorf("serialise model: %w", err)
	}
	return b, nil
}

// byteSize writes n bytes in B, kB, MB or GB (powers of 1000).
func byteSize(n int) string {
	s := metric(int64(n))
	if n >= 1000 {
		return s + "B"
	}
	return s + " B"
}
