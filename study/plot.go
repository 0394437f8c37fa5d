package study

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/asvit/asvit/runs"
)

var (
	drawnColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	givenColor = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	ceilColor  = color.Gray{Y: 110}
)

// plotColumns is the number of scatter panels per row.
const plotColumns = 4

// plots draws the scatter grid (each proxy against mean test accuracy, the
// given topologies in red) and the bar chart of Kendall τ with intervals.
func plots(dir string, rows []Row, s Summary, cfg Config) error {
	var drawn, given []Row
	for _, r := range rows {
		if r.complete(len(cfg.TrainSeeds)) {
			if r.Given {
				given = append(given, r)
			} else {
				drawn = append(drawn, r)
			}
		}
	}
	var grid [][]*plot.Plot
	for k, p := range Proxies {
		if k%plotColumns == 0 {
			grid = append(grid, make([]*plot.Plot, plotColumns))
		}
		panel, err := scatter(p, s.Proxies[k], drawn, given, s)
		if err != nil {
			return err
		}
		grid[k/plotColumns][k%plotColumns] = panel
	}
	w := vg.Length(plotColumns) * 10 * vg.Centimeter
	if err := runs.SavePNG(filepath.Join(dir, ScatterFile), grid, w, vg.Length(len(grid))*8*vg.Centimeter); err != nil {
		return err
	}
	bars, err := tauBars(s)
	if err != nil {
		return err
	}
	return runs.SavePNG(filepath.Join(dir, TauFile), [][]*plot.Plot{{bars}}, 24*vg.Centimeter, 12*vg.Centimeter)
}

// scatter is one panel: p's raw value against mean test accuracy.
func scatter(p Proxy, st ProxyStats, drawn, given []Row, s Summary) (*plot.Plot, error) {
	xOf := func(r Row, i int) float64 {
		if p.Value == nil {
			return s.rankValues[i]
		}
		return p.Value(r)
	}
	pts := func(rows []Row) plotter.XYs {
		var xy plotter.XYs
		for i, r := range rows {
			x := math.NaN()
			if p.Value != nil || !r.Given {
				x = xOf(r, i)
			}
			_, acc := r.meanAcc()
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				xy = append(xy, plotter.XY{X: x, Y: 100 * acc})
			}
		}
		return xy
	}
	better := "↑"
	if p.Sign < 0 {
		better = "↓"
	}
	panel := runs.NewPlot(fmt.Sprintf("τ %s", st.TauTest), fmt.Sprintf("%s (%s better)", p.Name, better), "test accuracy (%)")
	panel.Title.TextStyle.Font.Size = vg.Points(9)
	d := pts(drawn)
	panel.X.Tick.Marker = compactTicks{plot.DefaultTicks{}}
	if logWorthy(d) {
		panel.X.Scale = plot.LogScale{}
		panel.X.Tick.Marker = compactTicks{plot.LogTicks{}}
	}
	for _, set := range []struct {
		xy    plotter.XYs
		color color.Color
		shape draw.GlyphDrawer
	}{{d, drawnColor, draw.CircleGlyph{}}, {pts(given), givenColor, draw.TriangleGlyph{}}} {
		if len(set.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(set.xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = set.color, set.shape, vg.Points(2.5)
		panel.Add(sc)
	}
	return panel, nil
}

// compactTicks labels ticks with three significant digits (1.25e+06, not
// 1250000), so that neighbouring labels do not run into each other.
type compactTicks struct{ plot.Ticker }

func (c compactTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := c.Ticker.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
		}
	}
	return ticks
}

// logWorthy reports whether xy's x values are all positive and span more
// than two decades.
func logWorthy(xy plotter.XYs) bool {
	lo, hi := math.Inf(1), 0.0
	for _, p := range xy {
		if p.X <= 0 {
			return false
		}
		lo, hi = math.Min(lo, p.X), math.Max(hi, p.X)
	}
	return len(xy) > 0 && hi/lo > 100
}

// tauBars draws Kendall τ against validation accuracy per proxy with its
// 95% interval, and the seed-to-seed τ when there is one.
func tauBars(s Summary) (*plot.Plot, error) {
	title := fmt.Sprintf("Kendall τ of each proxy with validation accuracy (%d topologies, 95%% bootstrap intervals)", s.Drawn)
	if n := s.Noise; n != nil {
		title += fmt.Sprintf("\ndashed: τ between training seeds %d and %d (%+.2f)", n.Seeds[0], n.Seeds[1], float64(n.TauVal.Value))
	}
	p := runs.NewPlot(title, "", "Kendall τ")
	var vals plotter.Values
	var errs plotter.YErrors
	var names []string
	for _, ps := range s.Proxies {
		v := float64(ps.TauVal.Value)
		if math.IsNaN(v) {
			v = 0
		}
		vals = append(vals, v)
		errs = append(errs, struct{ Low, High float64 }{v - finiteOr(ps.TauVal.Lo, v), finiteOr(ps.TauVal.Hi, v) - v})
		names = append(names, ps.Name)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return nil, err
	}
	bars.Color = drawnColor
	p.Add(bars)
	xys := make(plotter.XYs, len(vals))
	for i, v := range vals {
		xys[i] = plotter.XY{X: float64(i), Y: v}
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{xys, errs})
	if err != nil {
		return nil, err
	}
	p.Add(eb)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	if n := s.Noise; n != nil && !math.IsNaN(float64(n.TauVal.Value)) {
		ceil := plotter.NewFunction(func(float64) float64 { return float64(n.TauVal.Value) })
		ceil.Color, ceil.Dashes = ceilColor, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(ceil)
	}
	p.Add(plotter.NewGrid())
	p.Y.Min, p.Y.Max = -1, 1
	return p, nil
}

func finiteOr(v runs.Float, alt float64) float64 {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return alt
	}
	return float64(v)
}
