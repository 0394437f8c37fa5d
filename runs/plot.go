package runs

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
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

// SavePNG draws a grid of plots (rows of equal length; nil leaves a tile
// empty) with aligned axes on one width×height PNG and writes it to path
// atomically.
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
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]),
		PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(grid, tiles, draw.New(img))
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
