package train

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/asvit/asvit/runs"
)

// CurvesFile is the learning-curve plot's name in the run directory.
const CurvesFile = "learning_curve.png"

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	green  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	grey   = color.Gray{Y: 128}
)

// Plot draws the learning curves of the run in dir from its log into
// CurvesFile, for a finished or a running run. Loss (top): the training
// loss of every step record (the epoch means when there are none) and the
// validation and test loss at each epoch's end. Accuracy (bottom): train,
// validation and test per epoch. A dashed line marks each change of
// tokenizer at the step where it happened. The x axis counts epochs, in
// fractions between their ends, or steps until the first epoch has ended.
func Plot(dir string) error {
	cf, err := readConfigFile(dir)
	if err != nil {
		return err
	}
	sched, err := ParseSchedule(cf.Schedule)
	if err != nil {
		return fmt.Errorf("train: plot: %s: %w", dir, err)
	}
	epochs, steps, err := readLog(dir)
	if err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	if len(epochs) == 0 && len(steps) == 0 {
		return fmt.Errorf("train: plot: %s has no records yet", filepath.Join(dir, runs.LogFile))
	}
	grid, err := curves(epochs, steps, sched, fmt.Sprintf("%s, %d px, retoken %s", cf.Arch, cf.Image, cf.Schedule))
	if err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	return runs.SavePNG(filepath.Join(dir, CurvesFile), grid, 20*vg.Centimeter, 18*vg.Centimeter)
}

// curves lays out the loss and accuracy panels.
func curves(epochs []EpochRecord, steps []StepRecord, sched Schedule, title string) ([][]*plot.Plot, error) {
	x, xLabel := runs.StepAxis(0, 0)
	if len(epochs) > 0 {
		x, xLabel = runs.StepAxis(epochs[0].Step, epochs[0].Epoch)
	}
	at := func(value func(EpochRecord) float64) plotter.XYs {
		var xys plotter.XYs
		for _, e := range epochs {
			if v := value(e); !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: x(e.Step), Y: v})
			}
		}
		return xys
	}
	train := runs.Series{Name: "train, per step (label-smoothed)", Color: blue}
	for _, s := range steps {
		train.XYs = append(train.XYs, plotter.XY{X: x(s.Step), Y: s.Loss})
	}
	if len(steps) == 0 {
		train = runs.Series{Name: "train, epoch mean (label-smoothed)", XYs: at(func(e EpochRecord) float64 { return e.TrainLoss }), Color: blue, Marked: true}
	}
	loss := runs.NewPlot(title, xLabel, "loss")
	loss.Legend.Top = true // losses fall
	acc := runs.NewPlot("", xLabel, "accuracy")
	panels := []struct {
		p     *plot.Plot
		lines []runs.Series
	}{
		{loss, []runs.Series{train,
			{Name: "validation", XYs: at(func(e EpochRecord) float64 { return float64(e.ValLoss) }), Color: green, Marked: true},
			{Name: "test", XYs: at(func(e EpochRecord) float64 { return e.TestLoss }), Color: orange, Marked: true}}},
		{acc, []runs.Series{
			{Name: "train", XYs: at(func(e EpochRecord) float64 { return e.TrainAcc }), Color: blue, Marked: true},
			{Name: "validation", XYs: at(func(e EpochRecord) float64 { return float64(e.ValAcc) }), Color: green, Marked: true},
			{Name: "test", XYs: at(func(e EpochRecord) float64 { return e.TestAcc }), Color: orange, Marked: true}}},
	}
	for _, panel := range panels {
		panel.p.Add(plotter.NewGrid())
		for _, s := range panel.lines {
			if err := runs.AddSeries(panel.p, s); err != nil {
				return nil, err
			}
		}
	}
	// Both panels span the run so far from its start, aligned.
	loss.X.Min, acc.X.Min = 0, 0
	loss.X.Max = max(loss.X.Max, acc.X.Max)
	acc.X.Max = loss.X.Max
	for _, sw := range switches(epochs, steps) {
		for i, panel := range panels {
			line, err := plotter.NewLine(plotter.XYs{{X: x(sw.step), Y: panel.p.Y.Min}, {X: x(sw.step), Y: panel.p.Y.Max}})
			if err != nil {
				return nil, err
			}
			line.Color, line.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
			panel.p.Add(line)
			if i == 0 && sw.phase <= len(sched) {
				p := sched[sw.phase-1]
				panel.p.Legend.Add(fmt.Sprintf("tokenizer → %dx%d", p.Stride, p.Dilation), line)
			}
		}
	}
	return [][]*plot.Plot{{loss}, {acc}}, nil
}

// tokenizerSwitch is a change of re-tokenization phase: the step at which
// the epoch before it ended, and the new phase (from 1).
type tokenizerSwitch struct {
	step, phase int
}

// switches finds the changes of phase in a log: between two epochs whose
// phases differ, at the step where the earlier one ended. The epoch in
// progress has its phase from its step records.
func switches(epochs []EpochRecord, steps []StepRecord) []tokenizerSwitch {
	phase := map[int]int{} // by epoch
	end := map[int]int{}   // step at the epoch's end
	for _, s := range steps {
		phase[s.Epoch] = s.Phase
	}
	for _, e := range epochs {
		phase[e.Epoch], end[e.Epoch] = e.Phase, e.Step
	}
	var out []tokenizerSwitch
	for e := 2; e <= len(epochs)+1; e++ {
		before, ok := end[e-1]
		if ok && phase[e] != 0 && phase[e] != phase[e-1] {
			out = append(out, tokenizerSwitch{step: before, phase: phase[e]})
		}
	}
	return out
}
