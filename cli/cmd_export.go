package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/atomicfile"
	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/train"
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
	Outputs                  string // logits, features or stages
	Mean, Std                string // comma-separated; empty takes the defaults
	ClassNames               string // a file with one name per line, or a comma-separated list
	From                     string // a training run whose weights to export
	Checkpoint               string // of From: train.BestFile or train.LastFile
	// given reports whether a flag was set on the command line; nil means
	// none was.
	given func(flag string) bool
}

// networkFlags are the export flags that describe a network and its
// input, which a training run given with --from records itself.
var networkFlags = []string{"arch", "img", "classes", "channels", "seed", "mean", "std", "class-names"}

func exportCommand() *cli.Command {
	var opts exportOptions
	return &cli.Command{
		Name:  "export",
		Usage: "write a topology's inference graph with its weights as an ONNX model",
		Description: `The model takes float32 batches N×C×R×R named "` + vit.InputName + `" (any N). --outputs picks
what it returns: "` + vit.LogitsName + `" (N×classes), "` + vit.FeaturesName + `" (N×features, the mean of
the last stage's tokens), or stages: the four stage maps stage1…stage4,
N×C×H×W at strides 4, 8, 16 and 32 (times the patch stride over 4), for
use as a detection or segmentation backbone. Its metadata records the
topology, input size, normalisation, class names, the output and where
the weights come from, as 'asvit predict' needs them.

The weights are the initial ones drawn from --seed, or with --from RUNDIR
those of a training run's best (or with --checkpoint last, its last)
checkpoint, at the tokenizer they were trained at; the run then gives the
topology, input and normalisation. The file is written atomically.`,
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "arch", Destination: &opts.Arch,
				Usage: `topology string (required without --from), e.g. "8,2,3|4,1,2|4,1,4|4,1,6|32"; see 'asvit info --help'`},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Destination: &opts.Out,
				Usage: "path of the ONNX file to write (required); its directory must exist"},
		}, modelFlags(&opts.Image, &opts.Classes, &opts.Channels), []cli.Flag{
			&cli.Uint64Flag{Name: "seed", Destination: &opts.Seed,
				Usage: "seed of the initial weights"},
			&cli.StringFlag{Name: "outputs", Value: string(export.Logits), Destination: &opts.Outputs,
				Usage: "what the model returns: logits, features (pooled) or stages (the four feature maps of a backbone)"},
			&cli.StringFlag{Name: "mean", Destination: &opts.Mean, DefaultText: "0.485,0.456,0.406; 0.449 for gray",
				Usage: "per-channel mean on the [0,1] scale that inputs are normalised with: one value per channel, or one for all"},
			&cli.StringFlag{Name: "std", Destination: &opts.Std, DefaultText: "0.229,0.224,0.225; 0.226 for gray",
				Usage: "per-channel standard deviation on the [0,1] scale, like --mean"},
			&cli.StringFlag{Name: "class-names", Destination: &opts.ClassNames,
				Usage: "class names, one per class: a file with one name per line, or a comma-separated list"},
			&cli.StringFlag{Name: "from", Destination: &opts.From,
				Usage: "export the trained weights of this 'asvit train' run directory instead of initial ones"},
			&cli.StringFlag{Name: "checkpoint", Value: train.BestFile, Destination: &opts.Checkpoint,
				Usage: "with --from: the run's best (chosen on validation) or last checkpoint"},
		}),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if _, err := requireArgs(c, 0, 0, "no arguments (give the topology with --arch)"); err != nil {
				return err
			}
			opts.given = c.IsSet
			return runExport(c.Context, opts, c.App.Writer)
		},
	}
}

func (o exportOptions) isSet(flag string) bool { return o.given != nil && o.given(flag) }

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
func (o exportOptions) classNames(out export.Output) ([]string, error) {
	if o.ClassNames == "" {
		return nil, nil
	}
	if out != export.Logits {
		return nil, usagef("--class-names has no use with --outputs %s, which outputs no classes", out)
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
	if opts.Out == "" {
		return usagef("missing --out: give the path of the ONNX file to write")
	}
	out, err := export.ParseOutput(opts.Outputs)
	if err != nil {
		return usagef("--outputs: %v", err)
	}
	var model []byte
	var meta export.Meta
	if opts.From != "" {
		model, meta, err = opts.fromRun(out)
	} else {
		model, meta, err = opts.initial(out)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(opts.Out, model, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return exportSummary(stdout, opts.Out, model, meta)
}

// initial exports the weights drawn from opts.Seed.
func (o exportOptions) initial(out export.Output) ([]byte, export.Meta, error) {
	switch {
	case o.Arch == "":
		return nil, export.Meta{}, usagef("missing --arch: give a topology such as \"8,2,3|4,1,2|4,1,4|4,1,6|32\", or a training run with --from")
	case o.isSet("checkpoint"):
		return nil, export.Meta{}, usagef("--checkpoint needs --from: it picks a training run's checkpoint")
	}
	m, err := newModel(o.Arch, o.Image, o.Classes, o.Channels)
	if err != nil {
		return nil, export.Meta{}, err
	}
	mean, std, err := o.normalization()
	if err != nil {
		return nil, export.Meta{}, err
	}
	names, err := o.classNames(out)
	if err != nil {
		return nil, export.Meta{}, err
	}
	return export.Model(m, m.Init(o.Seed), export.Meta{Mean: mean, Std: std, ClassNames: names, Output: out,
		Weights: export.WeightsInit, Seed: o.Seed, Version: Version})
}

// fromRun exports a checkpoint of the training run opts.From.
func (o exportOptions) fromRun(out export.Output) ([]byte, export.Meta, error) {
	for _, f := range networkFlags {
		if o.isSet(f) {
			return nil, export.Meta{}, usagef("--%s has no use with --from: the training run in %s records it", f, o.From)
		}
	}
	if o.Checkpoint != train.BestFile && o.Checkpoint != train.LastFile {
		return nil, export.Meta{}, usagef("--checkpoint: got %q, want %s or %s", o.Checkpoint, train.BestFile, train.LastFile)
	}
	if k, err := runs.KindOf(o.From); err == nil && k.Name == detect.Kind.Name {
		return nil, export.Meta{}, fmt.Errorf("%s is a detection run; export its detector with 'asvit detect export %s'", o.From, o.From)
	}
	return train.Export(o.From, o.Checkpoint, out, Version)
}

// exportSummary prints one line about the model written to path.
func exportSummary(w io.Writer, path string, model []byte, meta export.Meta) error {
	_, outputs, err := ort.ModelInfo(model)
	if err != nil {
		return err
	}
	var outs []string
	for _, o := range outputs {
		if len(o.Shape) == 2 {
			outs = append(outs, fmt.Sprintf("%d %s", o.Shape[1], o.Name))
			continue
		}
		dims := make([]string, len(o.Shape)-1)
		for i, d := range o.Shape[1:] {
			dims[i] = fmt.Sprint(d)
		}
		outs = append(outs, fmt.Sprintf("%s N×%s", o.Name, strings.Join(dims, "×")))
	}
	m, err := newModel(meta.Arch, meta.Image, meta.Classes, meta.Channels)
	if err != nil {
		return err
	}
	weights := fmt.Sprintf("seed %d", meta.Seed)
	if meta.Weights != export.WeightsInit {
		weights = fmt.Sprintf("%s checkpoint: epoch %d, step %d", meta.Weights, meta.Epoch, meta.Step)
	}
	_, err = fmt.Fprintf(w, "wrote %s: %s, input N×%d×%d×%d → %s, %s parameters (%s), %s\n",
		path, meta.Arch, meta.Channels, meta.Image, meta.Image, strings.Join(outs, ", "), groupDigits(m.Params()), weights, byteSize(len(model)))
	return err
}

// byteSize writes n bytes in B, kB, MB or GB (powers of 1000).
func byteSize(n int) string {
	s := metric(int64(n))
	if n >= 1000 {
		return s + "B"
	}
	return s + " B"
}
