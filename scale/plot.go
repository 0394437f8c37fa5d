package scale

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/asvit/asvit/runs"
	"github.com/asvit/asvit/vit"
)

// PlotFile is the name of the figure Plot writes in a run directory.
const PlotFile = "scale.png"

// stageColors tells the four stages apart.
var stageColors = [vit.NumStages]color.RGBA{
	{R: 31, G: 119, B: 180, A: 255},
	{R: 255, G: 127, B: 14, A: 255},
	{R: 44, G: 160, B: 44, A: 255},
	{R: 214, G: 39, B: 40, A: 255},
}

// Plot redraws a scaling run's figure from runDir's log.jsonl and writes it
// to runDir/scale.png, in the shape of the paper's Figure 3: the depth of
// each stage and the width (hidden size of the built model) against its
// parameters, with a mark at every step's chosen model. It works on a run
// that is still going or was interrupted.
func Plot(runDir string) error {
	recs, err := runs.ReadLog[StepRecord](runDir)
	if err != nil {
		return fmt.Errorf("scale: plot: %w", err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("scale: plot: %s has no steps logged yet", runDir)
	}
	var width plotter.XYs
	var depth [vit.NumStages]plotter.XYs
	for _, r := range recs {
		built, err := vit.Parse(r.Member.Topology)
		if err != nil {
			return fmt.Errorf("scale: plot: step %d: %w", r.Step, err)
		}
		x := float64(r.Member.Params) / 1e6
		width = append(width, plotter.XY{X: x, Y: float64(built.Hidden)})
		for i, d := range r.Member.Depths {
			depth[i] = append(depth[i], plotter.XY{X: x, Y: float64(d)})
		}
	}
	depthPlot := runs.NewPlot("Depth per stage", "parameters (M)", "blocks")
	for i, xy := range depth {
		if err := addMarked(depthPlot, xy, fmt.Sprintf("stage %d", i+1), stageColors[i]); err != nil {
			return fmt.Errorf("scale: plot: %w", err)
		}
	}
	depthPlot.Legend.Top, depthPlot.Legend.Left = true, true
	widthPlot := runs.NewPlot("Width", "parameters (M)", "hidden size")
	if err := addMarked(widthPlot, width, "", color.RGBA{A: 255}); err != nil {
		return fmt.Errorf("scale: plot: %w", err)
	}
	grid := [][]*plot.Plot{{depthPlot}, {widthPlot}}
	return runs.SavePNG(filepath.Join(runDir, PlotFile), grid, 16*vg.Centimeter, 20*vg.Centimeter)
}

// addMarked draws xy as a line with a dot at every point, named in the
// legend when name is set.
func addMarked(p *plot.Plot, xy plotter.XYs, name string, c color.Color) error {
	l, pts, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color = c
	pts.Color, pts.Shape, pts.Radius = c, draw.CircleGlyph{}, vg.Points(2.5)
	p.Add(l, pts)
	if name != "" {
		p.Legend.Add(name, l, pts)
	}
	return nil
}
