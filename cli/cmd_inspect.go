package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"text/tabwriter"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/ort"
)

// inspectOptions are the arguments of asvit inspect.
type inspectOptions struct {
	File string
}

func inspectCommand() *cli.Command {
	var opts inspectOptions
	return &cli.Command{
		Name:         "inspect",
		Usage:        "print an ONNX model's metadata, inputs, outputs, node counts and parameters",
		ArgsUsage:    "FILE.onnx",
		Description:  "Works on any ONNX model. Parameters are the elements of its floating-point initializers of rank ≥ 1 other than the constants asvit's graph builder names Const_N; the other initializers (shapes, indices, scalars, such constants) are counted as constants.",
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			args, err := requireArgs(c, 1, 1, "FILE.onnx")
			if err != nil {
				return err
			}
			opts.File = args[0]
			return runInspect(c.Context, opts, c.App.Writer)
		},
	}
}

// runInspect prints a summary of the model at opts.File.
func runInspect(_ context.Context, opts inspectOptions, stdout io.Writer) error {
	b, m, err := readModel(opts.File)
	if err != nil {
		return err
	}
	inputs, outputs, err := ort.ModelInfo(b)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.File, err)
	}
	g := m.GetGraph()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s (%s)\n", opts.File, byteSize(len(b)))
	fmt.Fprintf(tw, "format\tIR version %d, producer %q\n", m.GetIrVersion(), m.GetProducerName())
	for _, o := range m.GetOpsetImport() {
		fmt.Fprintf(tw, "opset\t%q %d\n", o.GetDomain(), o.GetVersion())
	}
	props := metadataProps(m)
	fmt.Fprintf(tw, "metadata\t%d entries\n", len(props))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, props[k])
	}
	for _, v := range inputs {
		fmt.Fprintf(tw, "input\t%v\n", v)
	}
	for _, v := range outputs {
		fmt.Fprintf(tw, "output\t%v\n", v)
	}
	ops := map[string]int{}
	for _, n := range g.GetNode() {
		ops[n.GetOpType()]++
	}
	fmt.Fprintf(tw, "nodes\t%d\n", len(g.GetNode()))
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		fmt.Fprintf(tw, "  %s\t%d\n", op, ops[op])
	}
	var params, consts, nParams, nConsts int64
	for _, t := range g.GetInitializer() {
		n := int64(1)
		for _, d := range t.GetDims() {
			n *= d
		}
		if isParam(t) {
			params, nParams = params+n, nParams+1
		} else {
			consts, nConsts = consts+n, nConsts+1
		}
	}
	fmt.Fprintf(tw, "parameters\t%s in %d tensors (floating-point initializers of rank ≥ 1, not named Const_N)\n", groupDigits(params), nParams)
	fmt.Fprintf(tw, "constants\t%s in %d other initializers (shapes, indices, scalars, Const_N tensors)\n", groupDigits(consts), nConsts)
	return tw.Flush()
}

// isParam reports whether an initializer counts as a parameter: a
// floating-point tensor of rank at least 1 that is not a constant of
// asvit's graph builder (graphgen names them Const_N in their scope, such
// as the one-hot kernels of a re-embedding or a detector's slot ranks).
// Shapes and indices (integers) and scalar constants are not parameters.
func isParam(t *onnx.TensorProto) bool {
	if constName.MatchString(path.Base(t.GetName())) {
		return false
	}
	switch onnx.TensorProto_DataType(t.GetDataType()) {
	case onnx.TensorProto_FLOAT, onnx.TensorProto_DOUBLE, onnx.TensorProto_FLOAT16, onnx.TensorProto_BFLOAT16:
		return len(t.GetDims()) > 0
	}
	return false
}

// constName matches the names graphgen gives constants.
var constName = regexp.MustCompile(`^Const_[0-9]+$`)
