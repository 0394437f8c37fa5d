package detect

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/asvit/asvit/runs"
)

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	green  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

// Plot draws the learning curves of the detection run in dir from its log
// into CurvesFile, for a finished or a running run. Loss (top): the total,
// heatmap and box loss of every step record (the epoch means when there
// are none). Validation (bottom): COCO AP, AP50 and AP75 per epoch. The x
// axis counts epochs, in fractions between their ends, or steps until the
// first epoch has ended.
func Plot(dir string) error {
	var cfg Config
	if err := runs.ReadConfig(dir, Kind, &cfg); err != nil {
		return fmt.Errorf("detect: plot: %w", err)
	}
	epochs, steps, err := ReadLog(dir)
	if err != nil {
		return fmt.Errorf("detect: plot: %w", err)
	}
	if len(epochs) == 0 && len(steps) == 0 {
		return fmt.Errorf("detect: plot: %s has no records yet", filepath.Join(dir, runs.LogFile))
	}
	retoken := cfg.Retoken
	if retoken == "" {
		retoken = "default"
	}
	grid, err := curves(epochs, steps, fmt.Sprintf("detector on %s, retoken %s", cfg.Arch, retoken))
	if err != nil {
		return fmt.Errorf("detect: plot: %w", err)
	}
	return runs.SavePNG(filepath.Join(dir, CurvesFile), grid, 20*vg.Centimeter, 18*vg.Centimeter)
}

// curves lays out the loss and validation panels.
func curves(epochs []EpochRecord, steps []StepRecord, title string) ([][]*plot.Plot, error) {
	x, xLabel := runs.StepAxis(0, 0)
	if len(epochs) > 0 {
		x, xLabel = runs.StepAxis(epochs[0].Step, epochs[0].Epoch)
	}
	at := func(value func(EpochRecord) float64) plotter.XYs {
		var xys plotter.XYs
		for _, e := range epochs {
			if v := value(e); v >= 0 { // COCO's −1: undefined
				xys = append(xys, plotter.XY{X: x(e.Step), Y: v})
			}
		}
		return xys
	}
	perStep := func(value func(StepRecord) float64) plotter.XYs {
		var xys plotter.XYs
		for _, s := range steps {
			xys = append(xys, plotter.XY{X: x(s.Step), Y: value(s)})
		}
		return xys
	}
	losses := []runs.Series{
		{Name: "loss, per step", XYs: perStep(func(s StepRecord) float64 { return s.Loss }), Color: blue},
		{Name: "heatmap", XYs: perStep(func(s StepRecord) float64 { return s.HeatmapLoss }), Color: orange},
		{Name: "box", XYs: perStep(func(s StepRecord) float64 { return s.BoxLoss }), Color: green},
	}
	if len(steps) == 0 {
		losses = []runs.Series{
			{Name: "loss, epoch mean", XYs: at(func(e EpochRecord) float64 { return e.TrainLoss }), Color: blue, Marked: true},
			{Name: "heatmap", XYs: at(func(e EpochRecord) float64 { return e.TrainHeatmapLoss }), Color: orange, Marked: true},
			{Name: "box", XYs: at(func(e EpochRecord) float64 { return e.TrainBoxLoss }), Color: green, Marked: true},
		}
	}
	loss := runs.NewPlot(title, xLabel, "training loss")
	loss.Legend.Top = true // losses fall
	ap := runs.NewPlot("", xLabel, "validation (COCO)")
	panels := []struct {
		p     *plot.Plot
		lines []runs.Series
	}{
		{loss, losses},
		{ap, []runs.Series{
			{Name: "AP", XYs: at(func(e EpochRecord) float64 { return e.Val.AP }), Color: blue, Marked: true},
			{Name: "AP50", XYs: at(func(e EpochRecord) float64 { return e.Val.AP50 }), Color: green, Marked: true},
			{Name: "AP75", XYs: at(func(e EpochRecord) float64 { return e.Val.AP75 }), Color: orange, Marked: true}}},
	}
	for _, panel := range panels {
		panel.p.Add(plotter.NewGrid())
		for _, s := range panel.lines {
			if err := runs.AddSeries(panel.p, s); err != nil {
				return nil, err
			}
		}
	}
	ap.Y.Min, ap.Y.Max = 0, max(ap.Y.Max, 0.1) // COCO scores are in [0, 1]
	ap.Legend.Top, ap.Legend.Left = true, true // scores rise
	loss.X.Min, ap.X.Min = 0, 0
	loss.X.Max = max(loss.X.Max, ap.X.Max)
	ap.X.Max = loss.X.Max
	return [][]*plot.Plot{{loss}, {ap}}, nil
}
