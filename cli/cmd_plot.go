package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/train"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "redraw the PNG plots of a search, scale or train run directory from its log",
		ArgsUsage: "RUNDIR",
		Description: `Works on finished and running runs alike: search.png (entropy, reward and
the two measures over steps), scale.png (depth per stage and width against
parameters), learning_curve.png (loss and accuracy per epoch with the
re-tokenization switches).`,
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			args, err := requireArgs(c, 1, 1, "RUNDIR")
			if err != nil {
				return err
			}
			return runPlot(c.Context, args[0], c.App.Writer)
		},
	}
}

// plotters redraws each kind of run directory and names the file it writes.
var plotters = map[string]struct {
	draw func(dir string) error
	file string
}{
	"search": {search.Plot, "search.png"},
	"scale":  {scale.Plot, "scale.png"},
	"train":  {train.Plot, train.CurvesFile},
}

func runPlot(_ context.Context, dir string, stdout io.Writer) error {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return fmt.Errorf("%s is not a run directory: %w", dir, err)
	}
	var head struct {
		Kind   string `json:"kind"`
		Epochs int    `json:"epochs"` // only training runs have epochs
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%s/config.json: %w", dir, err)
	}
	if head.Kind == "" && head.Epochs > 0 {
		head.Kind = "train"
	}
	p, ok := plotters[head.Kind]
	if !ok {
		return fmt.Errorf("%s holds a run of kind %q; plot knows search, scale and train", dir, head.Kind)
	}
	if err := p.draw(dir); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, p.file))
	return err
}
