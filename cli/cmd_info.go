package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/export"
	"github.com/asvit/asvit/vit"
)

// infoOptions are the arguments of asvit info.
type infoOptions struct {
	Arch                     string
	Image, Classes, Channels int
	JSON                     bool
}

// modelFlags binds the flags that turn a topology into a model.
func modelFlags(image, classes, channels *int) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "img", Value: 224, Destination: image,
			Usage: "side of the square input image, in pixels"},
		&cli.IntFlag{Name: "classes", Value: 1000, Destination: classes,
			Usage: "number of output classes"},
		&cli.IntFlag{Name: "channels", Value: 3, Destination: channels,
			Usage: "input channels: 3 for RGB, 1 for gray"},
	}
}

func infoCommand() *cli.Command {
	var opts infoOptions
	return &cli.Command{
		Name:      "info",
		Usage:     "print a topology's parameters, MACs, FLOPs and per-stage geometry",
		ArgsUsage: "[ARCH]",
		Description: `ARCH is a topology in the seed form "K1,S1,E1|K2,S2,E2|K3,S3,E3|K4,S4,E4|H",
e.g. "8,2,3|4,1,2|4,1,4|4,1,6|32", or the scaled form "K,S,E,L|...|H,C"
(depth L per stage, initial hidden size C); it may also be given as --arch
ARCH, as every command that takes a topology accepts it. FLOPs are 2 × MACs;
what the As-ViT paper calls FLOPs are MACs. Counts are per image.`,
		Flags: append(modelFlags(&opts.Image, &opts.Classes, &opts.Channels),
			archFlag(&opts.Arch),
			&cli.BoolFlag{Name: "json", Destination: &opts.JSON,
				Usage: "print one JSON object (arch, params, macs, flops, stages, head) instead of a table"}),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) (err error) {
			if opts.Arch, err = archArgument(c, opts.Arch); err != nil {
				return err
			}
			if opts.Arch == "" {
				return usagef("missing ARCH: give the topology as ARCH or --arch")
			}
			return runInfo(c.Context, opts, c.App.Writer)
		},
	}
}

// newModel parses arch and lays out the model; every failure is a usage
// error, since all the inputs come from the command line.
func newModel(arch string, image, classes, channels int) (vit.Model, error) {
	top, err := vit.Parse(arch)
	if err != nil {
		return vit.Model{}, &UsageError{Err: err}
	}
	if err := checkChannels(channels); err != nil {
		return vit.Model{}, err
	}
	if classes < 1 || classes > export.MaxClasses {
		return vit.Model{}, usagef("--classes: got %d, want 1..%d", classes, export.MaxClasses)
	}
	if image < 1 || image > export.MaxImage {
		return vit.Model{}, usagef("--img: got %d, want 1..%d", image, export.MaxImage)
	}
	spec := vit.NewSpec(top, image, classes)
	spec.Channels = channels
	m, err := vit.New(spec)
	if err != nil {
		return vit.Model{}, usagef("%s at %d px: %v", top, image, err)
	}
	return m, nil
}

// checkChannels checks the --channels flag.
func checkChannels(channels int) error {
	if channels != 1 && channels != 3 {
		return usagef("--channels: got %d, want 1 or 3", channels)
	}
	return nil
}

// costJSON is a number of parameters and of MACs.
type costJSON struct {
	Params int64 `json:"params"`
	MACs   int64 `json:"macs"`
}

// stageJSON is one stage in info's JSON output.
type stageJSON struct {
	Stage          int      `json:"stage"`
	Kernel         int      `json:"kernel"`
	Split          int      `json:"split"`
	Expansion      int      `json:"expansion"`
	Res            int      `json:"res"`
	Tokens         int      `json:"tokens"`
	Dim            int      `json:"dim"`
	Heads          int      `json:"heads"`
	HeadDim        int      `json:"head_dim"`
	Window         int      `json:"window"`
	WindowsPerSide int      `json:"windows_per_side"`
	Windows        int      `json:"windows"`
	Blocks         int      `json:"blocks"`
	Params         int64    `json:"params"`
	MACs           int64    `json:"macs"`
	Embed          costJSON `json:"embed"`
	Attention      costJSON `json:"attention"`
	FFN            costJSON `json:"ffn"`
}

// infoJSON is info's JSON output.
type infoJSON struct {
	Arch     string      `json:"arch"`
	Image    int         `json:"image"`
	Channels int         `json:"channels"`
	Classes  int         `json:"classes"`
	Features int         `json:"features"`
	Params   int64       `json:"params"`
	MACs     int64       `json:"macs"`
	FLOPs    int64       `json:"flops"`
	Stages   []stageJSON `json:"stages"`
	Head     costJSON    `json:"head"`
}

func newInfoJSON(m vit.Model) infoJSON {
	spec, costs := m.Spec(), m.Costs()
	out := infoJSON{
		Arch: spec.Topology.String(), Image: spec.Image, Channels: spec.Channels, Classes: spec.Classes,
		Features: spec.Features(), Params: m.Params(), MACs: m.MACs(), FLOPs: m.FLOPs(),
		Head: costJSON(costs.Head),
	}
	for i, g := range m.Stages() {
		st, c := spec.Stages[i], costs.Stages[i]
		tot := c.Total()
		out.Stages = append(out.Stages, stageJSON{
			Stage: i + 1, Kernel: st.Kernel, Split: st.Split, Expansion: st.Expansion,
			Res: g.Res, Tokens: g.Tokens, Dim: g.Dim, Heads: g.Heads, HeadDim: g.HeadDim,
			Window: g.Window, WindowsPerSide: g.WindowsPerSide, Windows: g.WindowsPerSide * g.WindowsPerSide,
			Blocks: g.Depth, Params: tot.Params, MACs: tot.MACs,
			Embed: costJSON(c.Embed), Attention: costJSON(c.Attention), FFN: costJSON(c.FFN),
		})
	}
	return out
}

// runInfo prints the counts and stage table of opts.Arch.
func runInfo(_ context.Context, opts infoOptions, stdout io.Writer) error {
	m, err := newModel(opts.Arch, opts.Image, opts.Classes, opts.Channels)
	if err != nil {
		return err
	}
	info := newInfoJSON(m)
	if opts.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "arch    %s\n", info.Arch)
	fmt.Fprintf(stdout, "input   %d×%d×%d, %d classes, %d features\n", info.Channels, info.Image, info.Image, info.Classes, info.Features)
	fmt.Fprintf(stdout, "params  %s (%s)\n", groupDigits(info.Params), metric(info.Params))
	fmt.Fprintf(stdout, "MACs    %s (%s) per image\n", groupDigits(info.MACs), metric(info.MACs))
	fmt.Fprintf(stdout, "FLOPs   %s (%s) = 2 × MACs; the As-ViT paper's \"FLOPs\" are MACs\n\n", groupDigits(info.FLOPs), metric(info.FLOPs))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tresolution\ttokens\tdim\theads\twindow\twindows\tblocks\tparams\tMACs\t")
	for _, s := range info.Stages {
		fmt.Fprintf(tw, "%d\t%d×%d\t%d\t%d\t%d\t%d×%d\t%d×%d\t%d\t%s\t%s\t\n", s.Stage, s.Res, s.Res, s.Tokens, s.Dim, s.Heads,
			s.Window, s.Window, s.WindowsPerSide, s.WindowsPerSide, s.Blocks, groupDigits(s.Params), groupDigits(s.MACs))
	}
	fmt.Fprintf(tw, "head\t\t\t\t\t\t\t\t%s\t%s\t\n", groupDigits(info.Head.Params), groupDigits(info.Head.MACs))
	return tw.Flush()
}
