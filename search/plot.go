package search

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

// logScaleSpan is the ratio of the largest to the smallest κ above which κ
// is drawn on a log scale.
const logScaleSpan = 100

// PlotFile is the name of the figure Plot writes in a run directory.
const PlotFile = "search.png"

// Plot redraws a search's figure from runDir's log.jsonl and writes it to
// runDir/search.png: the policy's entropy, the reward with its baseline,
// and the two measures (κ of good networks only) against the step. It works
// on a run that is still going or was interrupted.
func Plot(runDir string) error {
	recs, err := runs.ReadLog[StepRecord](runDir)
	if err != nil {
		return fmt.Errorf("search: plot: %w", err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("search: plot: %s has no steps logged yet", runDir)
	}
	var entropy, reward, baseline, kappa, le plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range recs {
		x := float64(r.Step)
		entropy = append(entropy, plotter.XY{X: x, Y: r.Entropy})
		reward = append(reward, plotter.XY{X: x, Y: r.Reward})
		baseline = append(baseline, plotter.XY{X: x, Y: r.Baseline})
		if k := float64(r.NTKCond); !r.Bad && finite(k) {
			kappa = append(kappa, plotter.XY{X: x, Y: k})
			lo, hi = min(lo, k), max(hi, k)
		}
		if v := float64(r.LengthDistortion); finite(v) {
			le = append(le, plotter.XY{X: x, Y: v})
		}
	}
	entropyPlot := runs.NewPlot("Policy entropy", "step", "nats")
	rewardPlot := runs.NewPlot("Reward", "step", "reward")
	kappaPlot := runs.NewPlot("NTK condition number κ", "step", "κ")
	lePlot := runs.NewPlot("Length distortion", "step", "L^E")
	for _, l := range []struct {
		p    *plot.Plot
		xy   plotter.XYs
		name string
		dash bool
	}{
		{entropyPlot, entropy, "", false},
		{rewardPlot, reward, "reward", false},
		{rewardPlot, baseline, "baseline", true},
		{kappaPlot, kappa, "", false},
		{lePlot, le, "", false},
	} {
		if err := addLine(l.p, l.xy, l.name, l.dash); err != nil {
			return fmt.Errorf("search: plot: %w", err)
		}
	}
	if lo > 0 && hi/lo > logScaleSpan {
		kappaPlot.Y.Scale = plot.LogScale{}
		kappaPlot.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	grid := [][]*plot.Plot{{entropyPlot, rewardPlot}, {kappaPlot, lePlot}}
	return runs.SavePNG(filepath.Join(runDir, PlotFile), grid, 24*vg.Centimeter, 18*vg.Centimeter)
}

// Line colours: solid blue, and dashed orange for a second series.
var (
	mainColor   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	secondColor = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// addLine draws xy on p, dashed in the second colour when dash is set; a
// named series also goes into the legend.
func addLine(p *plot.Plot, xy plotter.XYs, name string, dash bool) error {
	if len(xy) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color = mainColor
	if dash {
		l.Color = secondColor
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
		p.Legend.Top = true
	}
	return nil
}
