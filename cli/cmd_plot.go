package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/detect"
	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/scale"
	"github.com/asvit/asvit/search"
	"github.com/asvit/asvit/study"
	"github.com/asvit/asvit/train"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "redraw the PNG plots of a search, scale, train, detect or correlate run directory from its log",
		ArgsUsage: "RUNDIR",
		Description: `Works on finished and running runs alike, by the kind its config.json
records: search.png (entropy, reward and the two measures over steps),
scale.png (depth per stage and width against parameters),
learning_curve.png (the training loss of every logged step, loss and
accuracy per epoch, the re-tokenization switches), a detection run's
learning_curve.png (its losses and validation AP), and for a correlate
study its whole report (scatter.png, tau.png, results.csv, summary.json).`,
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

// plotters redraws each kind of run directory and names the files it
// writes.
var plotters = map[string]struct {
	draw  func(dir string) error
	files []string
}{
	search.Kind.Name: {search.Plot, []string{search.PlotFile}},
	scale.Kind.Name:  {scale.Plot, []string{scale.PlotFile}},
	train.Kind.Name:  {train.Plot, []string{train.CurvesFile}},
	detect.Kind.Name: {detect.Plot, []string{detect.CurvesFile}},
	study.Kind.Name: {func(dir string) error { _, err := study.WriteReport(dir); return err },
		[]string{study.ScatterFile, study.TauFile}},
}

func runPlot(_ context.Context, dir string, stdout io.Writer) error {
	kind, err := runs.KindOf(dir)
	if err != nil {
		return err
	}
	p, ok := plotters[kind.Name]
	if !ok {
		return fmt.Errorf("%s holds a run of kind %q; plot knows search, scale, train, detect and correlate", dir, kind.Name)
	}
	if err := p.draw(dir); err != nil {
		return err
	}
	for _, f := range p.files {
		if _, err := fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}
