package runs

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/asvit/asvit/atomicfile"
)

// plotDPI is the resolution of saved plots.
const plotDPI = 150

// NewPlot returns an empty plot with a title and axis labels.
func NewPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	return p
}

// Series is one curve of a plot: its points, joined by a line, with a
// marker at each when Marked.
type Series struct {
	Name   string
	XYs    plotter.XYs
	Color  color.Color
	Marked bool
}

// AddSeries adds s to p with a legend entry; an empty series is left out.
func AddSeries(p *plot.Plot, s Series) error {
	if len(s.XYs) == 0 {
		return nil
	}
	line, err := plotter.NewLine(s.XYs)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	line.Color = s.Color
	p.Add(line)
	if !s.Marked {
		p.Legend.Add(s.Name, line)
		return nil
	}
	points, err := plotter.NewScatter(s.XYs)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	points.Color = s.Color
	p.Add(points)
	p.Legend.Add(s.Name, line, points)
	return nil
}

// legendGap separates a legend from the data, the title and the frame.
const legendGap = 2 * vg.Millimeter

// SavePNG draws a grid of plots (rows of equal length; nil leaves a tile
// empty) with aligned axes on one width×height PNG and writes it to path
// atomically. Legends are kept clear of the data (see layout).
func SavePNG(path string, grid [][]*plot.Plot, width, height vg.Length) error {
	if len(grid) == 0 || len(grid[0]) == 0 {
		return fmt.Errorf("plot %s: no plots to draw", path)
	}
	for i, row := range grid {
		if len(row) != len(grid[0]) {
			return fmt.Errorf("plot %s: row %d has %d plots, want %d like row 0", path, i, len(row), len(grid[0]))
		}
	}
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(plotDPI))
	canvases := layout(grid, draw.New(img))
	for i, row := range grid {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// layout aligns the grid's plots on c. A plot with a legend on a linear y
// axis first gets room for it: the axis is widened on the legend's side
// (top or bottom) so that a band as tall as the legend holds no data, and
// the legend is moved off the frame and the title.
func layout(grid [][]*plot.Plot, c draw.Canvas) [][]draw.Canvas {
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]),
		PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(grid, tiles, c)
	widened := false
	for i, row := range grid {
		for j, p := range row {
			if p != nil && makeLegendRoom(p, canvases[i][j]) {
				widened = true
			}
		}
	}
	if widened { // the new tick labels may be wider
		canvases = plot.Align(grid, tiles, c)
	}
	return canvases
}

// maxLegendShare bounds the share of a plot's height a legend may claim.
const maxLegendShare = 0.6

// makeLegendRoom widens p's y axis for its legend, drawn on c, and reports
// whether it did.
func makeLegendRoom(p *plot.Plot, c draw.Canvas) bool {
	band, height := p.Legend.Rectangle(c).Size().Y, p.DataCanvas(c).Size().Y
	if _, linear := p.Y.Scale.(plot.LinearScale); band == 0 || height <= 0 || !linear || !(p.Y.Max > p.Y.Min) {
		return false
	}
	share := min(maxLegendShare, float64((band+2*legendGap)/height))
	grow := (p.Y.Max - p.Y.Min) * share / (1 - share)
	if p.Legend.Top {
		p.Y.Max += grow
		p.Legend.YOffs = -legendGap
	} else {
		p.Y.Min -= grow
		p.Legend.YOffs = legendGap
	}
	p.Legend.XOffs = legendGap
	if !p.Legend.Left {
		p.Legend.XOffs = -legendGap
	}
	return true
}

// StepAxis maps a run's step counts to a plot's x axis: epochs when an
// epoch has ended (the first one ended at step firstStep, epoch
// firstEpoch ≥ 1; 0 means none has), steps otherwise. It returns the map
// and the axis label.
func StepAxis(firstStep, firstEpoch int) (func(step int) float64, string) {
	if firstEpoch < 1 {
		return func(step int) float64 { return float64(step) }, "step"
	}
	perEpoch := float64(firstStep) / float64(firstEpoch)
	return func(step int) float64 { return float64(step) / perEpoch }, "epoch"
}
