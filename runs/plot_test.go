package runs

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// legendPlot draws a line from (0, 0) to (1, 1), whose end sits where a
// top-right legend goes, with a three-entry legend.
func legendPlot(t *testing.T, top bool) *plot.Plot {
	t.Helper()
	p := NewPlot("title", "x", "y")
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	for _, name := range []string{"one", "two", "three"} {
		p.Legend.Add(name, l)
	}
	p.Legend.Top = top
	return p
}

// TestLayoutKeepsLegendsClearOfData checks that the data's extreme on the
// legend's side lies at least the legend's height inside the data area.
func TestLayoutKeepsLegendsClearOfData(t *testing.T) {
	for _, top := range []bool{true, false} {
		p := legendPlot(t, top)
		c := draw.New(vgimg.New(12*vg.Centimeter, 8*vg.Centimeter))
		canvases := layout([][]*plot.Plot{{p}}, c)
		data := p.DataCanvas(canvases[0][0])
		band := p.Legend.Rectangle(canvases[0][0]).Size().Y
		if top {
			if y := data.Y(p.Y.Norm(1)); y+band > data.Max.Y {
				t.Errorf("top legend: data reaches %v, the legend (%v tall) starts at %v", y, band, data.Max.Y-band)
			}
		} else if y := data.Y(p.Y.Norm(0)); y-band < data.Min.Y {
			t.Errorf("bottom legend: data reaches %v, the legend (%v tall) ends at %v", y, band, data.Min.Y+band)
		}
	}
	p := NewPlot("no legend", "x", "y")
	p.Y.Min, p.Y.Max = 0, 1
	layout([][]*plot.Plot{{p}}, draw.New(vgimg.New(12*vg.Centimeter, 8*vg.Centimeter)))
	if p.Y.Min != 0 || p.Y.Max != 1 {
		t.Errorf("a plot without a legend was rescaled to [%v, %v]", p.Y.Min, p.Y.Max)
	}
}

func TestSavePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	if err := SavePNG(path, [][]*plot.Plot{{legendPlot(t, true), nil}}, 16*vg.Centimeter, 8*vg.Centimeter); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	if err := SavePNG(path, nil, vg.Centimeter, vg.Centimeter); err == nil {
		t.Error("an empty grid was drawn")
	}
}
