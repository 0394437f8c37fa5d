package train

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/asvit/asvit/atomicfile"
)

// CurvesFile is the learning-curve plot's name in the output directory.
const CurvesFile = "learning_curve.png"

// series is one line of a panel.
type series struct {
	name  string
	value func(EpochRecord) float64
	color color.Color
}

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	grey   = color.Gray{Y: 128}
)

// writeCurves draws loss (top) and accuracy (bottom) per epoch as a PNG,
// with a dashed vertical line at each change of re-tokenization phase.
func writeCurves(w io.Writer, records []EpochRecord, title string) error {
	panels := []struct {
		label     string
		legendTop bool // where the curves are not: loss falls, accuracy rises
		lines     []series
	}{
		{"loss", true, []series{
			{"train (smoothed)", func(r EpochRecord) float64 { return r.TrainLoss }, blue},
			{"test", func(r EpochRecord) float64 { return r.TestLoss }, orange},
		}},
		{"accuracy", false, []series{
			{"train", func(r EpochRecord) float64 { return r.TrainAcc }, blue},
			{"test", func(r EpochRecord) float64 { return r.TestAcc }, orange},
		}},
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, panel := range panels {
		p := plot.New()
		if i == 0 {
			p.Title.Text = title
		}
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = panel.label
		p.Legend.Top = panel.legendTop
		p.Add(plotter.NewGrid())
		for _, s := range panel.lines {
			xys := make(plotter.XYs, len(records))
			for k, r := range records {
				xys[k] = plotter.XY{X: float64(r.Epoch), Y: s.value(r)}
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return fmt.Errorf("plot %s: %w", panel.label, err)
			}
			line.Color, points.Color = s.color, s.color
			p.Add(line, points)
			p.Legend.Add(s.name, line)
		}
		if err := addSwitches(p, records, i == 0); err != nil {
			return err
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.New(8*vg.Inch, 7*vg.Inch)
	dc := draw.New(img)
	canvases := plot.Align(plots, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(6)}, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// addSwitches marks with dashed lines, between the last epoch of one phase
// and the first of the next, where the tokenizer changed, labelled with
// the new stride and dilation when label is set.
func addSwitches(p *plot.Plot, records []EpochRecord, label bool) error {
	lo, hi := p.Y.Min, p.Y.Max
	named := false
	for k := 1; k < len(records); k++ {
		if records[k].Phase == records[k-1].Phase {
			continue
		}
		x := float64(records[k].Epoch) - 0.5
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		if err != nil {
			return err
		}
		line.Color, line.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		if label {
			text, err := plotter.NewLabels(plotter.XYLabels{
				XYs:    plotter.XYs{{X: x, Y: hi}},
				Labels: []string{fmt.Sprintf(" %dx%d", records[k].Stride, records[k].Dilation)},
			})
			if err != nil {
				return err
			}
			text.Offset.Y = -vg.Points(10)
			p.Add(text)
		}
		if !named {
			p.Legend.Add("tokenizer switch", line)
			named = true
		}
	}
	return nil
}

// Plot redraws the learning curves of the run in dir from its log.
func Plot(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	var records []EpochRecord
	for i, line := range strings.Split(string(raw), "\n") {
		var e EpochRecord
		if strings.TrimSpace(line) == "" || json.Unmarshal([]byte(line), &e) != nil || e.Kind != KindEpoch {
			if strings.TrimSpace(line) != "" && !json.Valid([]byte(line)) {
				return fmt.Errorf("train: plot: %s line %d is not JSON", LogFile, i+1)
			}
			continue
		}
		records = append(records, e)
	}
	if len(records) == 0 {
		return fmt.Errorf("train: plot: %s has no finished epoch yet", filepath.Join(dir, LogFile))
	}
	return atomicfile.Write(filepath.Join(dir, CurvesFile), 0o644, func(w io.Writer) error {
		return writeCurves(w, records, filepath.Base(dir))
	})
}
