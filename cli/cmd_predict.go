package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/data"
	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/ort"
	"github.com/asvit/asvit/vit"
)

// predictOptions are the arguments of asvit predict.
type predictOptions struct {
	Runtime runtimeOptions
	Model   string
	Images  []string // PNG or JPEG files
	Inputs  string   // a float32 .npy batch, instead of Images
	Sample  int      // the first Sample images of the embedded test split, instead of Images
	Top     int
	Batch   int
	JSON    bool
	// Detectors only (Output export.Detections).
	MinScore float64
	Draw     string
	// given reports whether a flag was set on the command line; nil means
	// none was.
	given func(flag string) bool
}

func (o predictOptions) isSet(flag string) bool { return o.given != nil && o.given(flag) }

func predictCommand(rt *runtimeOptions) *cli.Command {
	var opts predictOptions
	return &cli.Command{
		Name:      "predict",
		Usage:     "classify images, or find objects in them, with a model written by 'asvit export' or 'asvit detect export'",
		ArgsUsage: "[MODEL.onnx] IMAGE... (or --inputs X.npy)",
		Description: `Each PNG or JPEG image is converted to the model's channels (gray replicated,
RGB averaged), resized bilinearly to its resolution and normalised with the
mean and std in its metadata. --inputs feeds a float32 N×C×R×R .npy batch as
is. Probabilities are the softmax of the logits. A model exported with
--outputs features prints its feature vectors instead.

A detector written by 'asvit detect export' prints each image's boxes (in
the image's own pixels, x y width height from the top left, best first)
as 'asvit detect predict --model' does: every box the model returns, or
those scoring --min-score or more, at most --top of them; --draw DIR
writes each image with its boxes as DIR/NAME.png. Detectors take image
files only.

Without --model, a first argument ending in .onnx is the model.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Destination: &opts.Model,
				Usage: "ONNX model written by 'asvit export' or 'asvit detect export' (required; or the first argument)"},
			&cli.StringFlag{Name: "inputs", Destination: &opts.Inputs,
				Usage: "float32 .npy batch N×C×R×R, already preprocessed, to run instead of images"},
			&cli.IntFlag{Name: "sample", Destination: &opts.Sample,
				Usage: "run on the first N images of the embedded Fashion-MNIST test split instead (their true classes are shown)"},
			&cli.IntFlag{Name: "top", Value: 5, Destination: &opts.Top, DefaultText: "5; with a detector, all its boxes",
				Usage: "classes (a detector: boxes) to print per input, most probable first"},
			&cli.IntFlag{Name: "batch", Value: 32, Destination: &opts.Batch,
				Usage: "inputs per forward pass"},
			&cli.BoolFlag{Name: "json", Destination: &opts.JSON,
				Usage: `print {"inputs", "logits", "top": [[{"class", "name", "prob"}]]} as JSON (a detector: as 'asvit detect predict --json')`},
			&cli.Float64Flag{Name: "min-score", Destination: &opts.MinScore, DefaultText: "the model's own threshold",
				Usage: "with a detector: least score of a box shown"},
			&cli.StringFlag{Name: "draw", Destination: &opts.Draw,
				Usage: "with a detector: write each image with its boxes into this directory"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			opts.Images = c.Args().Slice()
			if opts.Model == "" && len(opts.Images) > 0 && strings.EqualFold(filepath.Ext(opts.Images[0]), ".onnx") {
				opts.Model, opts.Images = opts.Images[0], opts.Images[1:]
			}
			opts.Runtime = *rt
			opts.given = c.IsSet
			return runPredict(c.Context, opts, c.App.Writer)
		},
	}
}

func (o predictOptions) check() error {
	switch {
	case o.Model == "":
		return usagef("missing --model: give the ONNX file written by 'asvit export' or 'asvit detect export'")
	case o.Sample < 0:
		return usagef("--sample: got %d, want a positive count", o.Sample)
	case len(o.Images) == 0 && o.Inputs == "" && o.Sample == 0:
		return usagef("nothing to predict: give image files, --inputs X.npy or --sample N")
	case (len(o.Images) > 0) && (o.Inputs != "" || o.Sample > 0) || (o.Inputs != "" && o.Sample > 0):
		return usagef("give one of image files, --inputs or --sample")
	case o.Top < 1:
		return usagef("--top: got %d, want at least 1", o.Top)
	case o.Batch < 1:
		return usagef("--batch: got %d, want at least 1", o.Batch)
	case !(o.MinScore >= 0 && o.MinScore <= 1):
		return usagef("--min-score: got %g, want a score in [0, 1]", o.MinScore)
	}
	return nil
}

// predictInputs yields the model inputs, from images or from a .npy batch.
type predictInputs struct {
	names  []string  // one per input, for the report
	images []string  // files to preprocess, or nil
	npy    []float32 // the whole batch, or nil
	per    int       // values per input
}

func loadInputs(opts predictOptions, meta export.Meta) (predictInputs, error) {
	in := predictInputs{per: meta.Channels * meta.Image * meta.Image}
	if opts.Sample > 0 {
		return sampleInputs(in, opts.Sample, meta)
	}
	if opts.Inputs == "" {
		in.names, in.images = opts.Images, opts.Images
		return in, nil
	}
	shape, x, err := data.ReadNPYFloat32(opts.Inputs)
	if err != nil {
		return in, fmt.Errorf("read inputs: %w", err)
	}
	if len(shape) != 4 || shape[0] < 1 || !slices.Equal(shape[1:], []int{meta.Channels, meta.Image, meta.Image}) {
		return in, fmt.Errorf("%s has shape %v; the model takes float32 batches N×%d×%d×%d (N ≥ 1)",
			opts.Inputs, shape, meta.Channels, meta.Image, meta.Image)
	}
	in.npy = x
	for i := range shape[0] {
		in.names = append(in.names, fmt.Sprintf("%s[%d]", opts.Inputs, i))
	}
	return in, nil
}

// sampleInputs takes the first n images of the embedded test split,
// preprocessed for the model.
func sampleInputs(in predictInputs, n int, meta export.Meta) (predictInputs, error) {
	ds, err := data.OpenSample(data.OpenOptions{})
	if err != nil {
		return in, err
	}
	if n > ds.Test.N {
		return in, usagef("--sample: got %d, the embedded test split has %d images", n, ds.Test.N)
	}
	l, err := data.NewLoader(ds.Test, data.LoaderOptions{
		Batch: n, Size: meta.Image, Channels: meta.Channels, Mean: meta.Mean, Std: meta.Std,
	})
	if err != nil {
		return in, err
	}
	defer l.Close()
	b, err := l.BatchAt(0, nil)
	if err != nil {
		return in, err
	}
	in.npy = b.X
	for i := range n {
		in.names = append(in.names, fmt.Sprintf("sample[%d] (true class %d %s)", i, ds.Test.Labels[i], ds.Classes[ds.Test.Labels[i]]))
	}
	return in, nil
}

// batch returns inputs [start, start+n) as one N×C×R×R slice, preprocessing
// images into buf.
func (in predictInputs) batch(buf []float32, start, n int, meta export.Meta) ([]float32, error) {
	if in.npy != nil {
		return in.npy[start*in.per : (start+n)*in.per], nil
	}
	buf = buf[:n*in.per]
	for i := range n {
		if err := preprocessImage(buf[i*in.per:(i+1)*in.per], in.images[start+i], meta); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// checkModelIO checks that the model declares the input and output its
// metadata implies, and returns the output's name and width.
func checkModelIO(path string, model []byte, meta export.Meta) (name string, width int, err error) {
	inputs, outputs, err := ort.ModelInfo(model)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	wantIn := []int64{-1, int64(meta.Channels), int64(meta.Image), int64(meta.Image)} // -1: any batch
	if len(inputs) != 1 || inputs[0].Name != vit.InputName || inputs[0].Type != ort.Float32 || !slices.Equal(inputs[0].Shape, wantIn) {
		return "", 0, fmt.Errorf("%s declares inputs %v, but its metadata implies one input %q float32 [-1 %d %d %d]; re-export it",
			path, inputs, vit.InputName, meta.Channels, meta.Image, meta.Image)
	}
	switch meta.Output {
	case export.Stages:
		return "", 0, fmt.Errorf("%s outputs the stage maps of a backbone, which predict cannot rank; export it with --outputs logits or features", path)
	case export.Features:
		name = vit.FeaturesName
	default:
		name = vit.LogitsName
	}
	for _, o := range outputs {
		if o.Name == name && o.Type == ort.Float32 && len(o.Shape) == 2 && o.Shape[1] > 0 {
			width = int(o.Shape[1])
		}
	}
	if width == 0 || (meta.Output == export.Logits && width != meta.Classes) {
		return "", 0, fmt.Errorf("%s declares outputs %v, but its metadata implies %q float32 [-1 %d]; re-export it",
			path, outputs, name, meta.Classes)
	}
	return name, width, nil
}

// runPredict runs the model on the inputs in batches and prints the result.
func runPredict(ctx context.Context, opts predictOptions, stdout io.Writer) error {
	if err := opts.check(); err != nil {
		return err
	}
	sessOpts, err := opts.Runtime.sessionOptions()
	if err != nil {
		return err
	}
	model, meta, err := readAsvitModel(opts.Model)
	if err != nil {
		return err
	}
	if meta.Output == export.Detections {
		return predictDetections(ctx, model, meta, opts, sessOpts, stdout)
	}
	if opts.isSet("min-score") || opts.Draw != "" {
		return usagef("--min-score and --draw go with a detector; %s outputs %s", opts.Model, meta.Output)
	}
	output, width, err := checkModelIO(opts.Model, model, meta)
	if err != nil {
		return err
	}
	in, err := loadInputs(opts, meta)
	if err != nil {
		return err
	}
	sess, err := ort.NewSession(model, []string{vit.InputName}, []string{output}, sessOpts)
	if err != nil {
		return fmt.Errorf("load %s: %w", opts.Model, err)
	}
	defer sess.Destroy()
	n := len(in.names)
	outs := make([][]float32, n)
	buf := make([]float32, min(opts.Batch, n)*in.per)
	for start := 0; start < n; start += opts.Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(opts.Batch, n-start)
		x, err := in.batch(buf, start, k, meta)
		if err != nil {
			return err
		}
		y, err := forward(sess, x, k, meta, width)
		if err != nil {
			return fmt.Errorf("run %s on %s: %w", opts.Model, in.names[start], err)
		}
		for i := range k {
			outs[start+i] = y[i*width : (i+1)*width]
			if slices.ContainsFunc(outs[start+i], func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }) {
				return fmt.Errorf("%s gave non-finite outputs for %s; check the input values", opts.Model, in.names[start+i])
			}
		}
	}
	if meta.Output == export.Features {
		return reportFeatures(stdout, in.names, outs, opts.JSON)
	}
	return reportTop(stdout, in.names, outs, meta.ClassNames, opts.Top, opts.JSON)
}

// predictDetections runs the exported detector model, whose metadata is
// meta, as 'asvit detect predict --model' does.
func predictDetections(ctx context.Context, model []byte, meta export.Meta, opts predictOptions, sessOpts ort.Options, stdout io.Writer) error {
	if opts.Inputs != "" || opts.Sample > 0 {
		return usagef("%s is a detector: give PNG or JPEG images (--inputs and --sample are for classifiers)", opts.Model)
	}
	d := detectPredictOptions{Model: opts.Model, Checkpoint: detect.BestFile, Images: opts.Images, IoU: 1,
		MinScore: opts.MinScore, Top: meta.Detection.TopK, Batch: opts.Batch, Draw: opts.Draw, JSON: opts.JSON}
	if opts.isSet("top") {
		d.Top = opts.Top
	}
	if err := d.check(); err != nil {
		return err
	}
	return predictExported(ctx, model, meta, d, sessOpts, stdout)
}

// forward runs one batch of k inputs and returns a copy of its k×width
// output.
func forward(sess *ort.Session, x []float32, k int, meta export.Meta, width int) ([]float32, error) {
	t, err := ort.NewFloat32([]int64{int64(k), int64(meta.Channels), int64(meta.Image), int64(meta.Image)}, x)
	if err != nil {
		return nil, err
	}
	defer t.Destroy()
	res, err := sess.Run([]*ort.Tensor{t})
	if err != nil {
		return nil, err
	}
	defer ort.DestroyAll(res)
	if got := res[0].Shape(); !slices.Equal(got, []int64{int64(k), int64(width)}) {
		return nil, fmt.Errorf("output has shape %v, want [%d %d]", got, k, width)
	}
	return slices.Clone(res[0].Float32s()), nil
}

// classProb is one entry of a top-k list.
type classProb struct {
	Class int     `json:"class"`
	Name  string  `json:"name,omitempty"`
	Prob  float64 `json:"prob"`
}

// topK returns the k most probable classes of softmax(logits), most
// probable first and, on ties, lower class first. k is capped at the
// number of classes.
func topK(logits []float32, k int, names []string) []classProb {
	hi := math.Inf(-1)
	for _, v := range logits {
		hi = max(hi, float64(v))
	}
	var sum float64
	probs := make([]classProb, len(logits))
	for i, v := range logits {
		e := math.Exp(float64(v) - hi)
		sum += e
		probs[i] = classProb{Class: i, Prob: e}
	}
	for i := range probs {
		probs[i].Prob /= sum
		if names != nil {
			probs[i].Name = names[i]
		}
	}
	slices.SortStableFunc(probs, func(a, b classProb) int {
		switch {
		case a.Prob > b.Prob:
			return -1
		case a.Prob < b.Prob:
			return 1
		}
		return 0
	})
	return probs[:min(k, len(probs))]
}

func reportTop(w io.Writer, names []string, logits [][]float32, classNames []string, k int, asJSON bool) error {
	top := make([][]classProb, len(logits))
	for i, l := range logits {
		top[i] = topK(l, k, classNames)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			Inputs []string      `json:"inputs"`
			Logits [][]float32   `json:"logits"`
			Top    [][]classProb `json:"top"`
		}{names, logits, top})
	}
	digits := len(fmt.Sprint(len(logits[0]) - 1))
	var b strings.Builder
	for i, t := range top {
		fmt.Fprintf(&b, "%s\n", names[i])
		for _, c := range t {
			line := fmt.Sprintf("  %.4f  %*d  %s", c.Prob, digits, c.Class, c.Name)
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func reportFeatures(w io.Writer, names []string, features [][]float32, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			Inputs   []string    `json:"inputs"`
			Features [][]float32 `json:"features"`
		}{names, features})
	}
	var b strings.Builder
	for i, f := range features {
		b.WriteString(names[i])
		for _, v := range f {
			fmt.Fprintf(&b, " %.6g", v)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
