package eval

import (
	"testing"

	"github.com/asvit/asvit/graphgen"
)

// ints returns an Int64 constant of shape holding xs.
func ints(g *graphgen.Graph, shape []int, xs ...int64) *graphgen.Value {
	return g.Const(graphgen.Int64, shape, xs)
}

func TestIndexOpsMatchORT(t *testing.T) {
	topK := func(k, axis int, largest, indices bool) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value {
			v, i := tg.TopK(tg.in(-1, 1, 3, 5, 4), k, axis, largest)
			if indices {
				return i
			}
			return v
		}
	}
	checkAgainstORT(t, []opCase{
		{"TopKLastAxis", 1, topK(3, -1, true, false)},
		{"TopKLastAxisIndices", 1, topK(3, -1, true, true)},
		{"TopKMiddleSmallest", 1, topK(4, 1, false, false)},
		{"TopKMiddleSmallestIndices", 1, topK(4, 1, false, true)},
		{"TopKAll", 1, topK(3, 0, true, true)},
		// Ties: equal values come in index order, lower first.
		{"TopKTies", 1, func(tg *testGraph) *graphgen.Value {
			x := tg.Input("ties", graphgen.Float32, 2, 6)
			tg.feeds[x] = []float64{1, 3, 3, 0, 3, 1, 2, 2, 2, 2, 5, 2}
			_, i := tg.TopK(x, 5, 1, true)
			return i
		}},
		{"GatherElementsAxis1", 1, func(tg *testGraph) *graphgen.Value {
			idx := ints(tg.Graph, []int{2, 4, 2}, 0, 2, -1, 1, 2, 2, 0, -3, 1, 1, 2, 0, -1, 0, 0, 2)
			return tg.GatherElements(tg.in(-1, 1, 2, 3, 3), idx, 1)
		}},
		{"GatherElementsSmallerIndices", 1, func(tg *testGraph) *graphgen.Value {
			idx := ints(tg.Graph, []int{1, 2, 3}, 3, 0, 4, 1, 1, 2)
			return tg.GatherElements(tg.in(-1, 1, 2, 3, 5), idx, -1)
		}},
		{"GatherNDRows", 1, func(tg *testGraph) *graphgen.Value {
			return tg.GatherND(tg.in(-1, 1, 3, 4, 2), ints(tg.Graph, []int{2, 2, 1}, 2, 0, 1, 2))
		}},
		{"GatherNDElements", 1, func(tg *testGraph) *graphgen.Value {
			return tg.GatherND(tg.in(-1, 1, 3, 4), ints(tg.Graph, []int{3, 2}, 0, 3, 2, -1, 1, 1))
		}},
		{"ScatterNDElements", 1, func(tg *testGraph) *graphgen.Value {
			return tg.ScatterND(tg.in(-1, 1, 3, 4), ints(tg.Graph, []int{3, 2}, 0, 3, 2, 0, 1, 1), tg.in(5, 6, 3))
		}},
		{"ScatterNDRows", 1, func(tg *testGraph) *graphgen.Value {
			return tg.ScatterND(tg.in(-1, 1, 4, 2, 3), ints(tg.Graph, []int{2, 1}, 3, 1), tg.in(5, 6, 2, 2, 3))
		}},
	})
}

func TestIndexOpsByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{2, 3}, []float64{1, 5, 3, 4, 4, 6})
	v, i := g.TopK(x, 2, 1, true)
	got, err := Run([]*graphgen.Value{v, i}, nil)
	if err != nil {
		t.Fatal(err)
	}
	exactly(t, got[0], []float64{5, 3, 6, 4})
	exactly(t, got[1], []float64{1, 2, 2, 0})
	exactly(t, runOne(t, g.GatherElements(x, ints(g, []int{2, 2}, 2, 0, -1, 1), 1), nil), []float64{3, 1, 6, 4})
	exactly(t, runOne(t, g.GatherND(x, ints(g, []int{2, 2}, 1, 2, 0, 1)), nil), []float64{6, 5})
	upd := g.Const(graphgen.Float64, []int{1, 3}, []float64{7, 8, 9})
	exactly(t, runOne(t, g.ScatterND(x, ints(g, []int{1, 1}, 1), upd), nil), []float64{1, 5, 3, 7, 8, 9})
}

// nmsCase is one NonMaxSuppression graph on boxes and scores fed as inputs.
type nmsCase struct {
	name            string
	boxes           []float64 // [N, B, 4] as y1, x1, y2, x2
	scores          []float64 // [N, C, B]
	n, c, b         int
	maxPerClass     int
	iou, scoreFloor float64
	centre          bool      // boxes as centre x, centre y, width, height
	want            []float64 // the selected rows, flattened
}

// nmsBoxes: in image 0, box 1 overlaps box 0 with IoU 6.8/13.2 ≈ 0.515 and
// box 2 overlaps box 0 with IoU 6.5/13.5 ≈ 0.481 (shifts of 3.2 and 3.5 of
// a 10×10 square; IoU = (10−s)/(10+s)) and box 1 with IoU 9.7/10.3. Box 3
// is far away with its corners given in the other diagonal order; box 4
// has no area. Image 1 holds the same boxes shifted by 100.
var nmsBoxes = func() []float64 {
	one := []float64{
		0, 0, 10, 10,
		0, 3.2, 10, 13.2,
		0, 3.5, 10, 13.5,
		40, 50, 30, 45,
		5, 5, 5, 8,
	}
	out := append([]float64{}, one...)
	for _, v := range one {
		out = append(out, v+100)
	}
	return out
}()

var nmsCases = []nmsCase{
	{
		// Class 0: box 0 wins, suppresses box 1 (IoU 0.515) but not box 2
		// (0.481); box 3 scores exactly the floor and is dropped (strictly
		// above is kept); box 4 is kept (no area, no suppression).
		// Class 1: box 1 wins and suppresses boxes 0 and 2; box 3 is kept.
		// Image 1: class 0 box 2 leads and suppresses box 1 (0.94) but not
		// box 0; class 1 scores are all at or below the floor.
		name: "threshold 0.5", n: 2, c: 2, b: 5, maxPerClass: 10, iou: 0.5, scoreFloor: 0.25,
		boxes: nmsBoxes,
		scores: []float64{
			0.9, 0.8, 0.7, 0.25, 0.3,
			0.6, 0.95, 0.5, 0.4, 0.1,
			0.5, 0.6, 0.7, 0.1, 0.2,
			0.25, 0.2, 0.1, 0.05, 0,
		},
		want: []float64{
			0, 0, 0, 0, 0, 2, 0, 0, 4,
			0, 1, 1, 0, 1, 3,
			1, 0, 2, 1, 0, 0,
		},
	},
	{
		// A threshold between the two overlaps keeps box 1 beside box 0 in
		// class 0, and box 0 beside box 1 in class 1; at most two boxes
		// per class.
		name: "threshold 0.52, two per class", n: 2, c: 2, b: 5, maxPerClass: 2, iou: 0.52, scoreFloor: 0.25,
		boxes: nmsBoxes,
		scores: []float64{
			0.9, 0.8, 0.7, 0.25, 0.3,
			0.6, 0.95, 0.5, 0.4, 0.1,
			0.5, 0.6, 0.7, 0.1, 0.2,
			0.25, 0.2, 0.1, 0.05, 0,
		},
		want: []float64{
			0, 0, 0, 0, 0, 1,
			0, 1, 1, 0, 1, 0,
			1, 0, 2, 1, 0, 0,
		},
	},
	{
		// A threshold below every overlap: one box per cluster.
		name: "threshold 0.4", n: 1, c: 1, b: 5, maxPerClass: 5, iou: 0.4, scoreFloor: 0,
		boxes:  nmsBoxes[:20],
		scores: []float64{0.3, 0.8, 0.7, 0.25, 0.1},
		want:   []float64{0, 0, 1, 0, 0, 3, 0, 0, 4},
	},
	{
		// The first three boxes of image 0 as centres and sizes.
		name: "centre point boxes", n: 1, c: 1, b: 3, maxPerClass: 5, iou: 0.5, scoreFloor: 0, centre: true,
		boxes:  []float64{5, 5, 10, 10, 8.2, 5, 10, 10, 8.5, 5, 10, 10},
		scores: []float64{0.9, 0.8, 0.7},
		want:   []float64{0, 0, 0, 0, 0, 2},
	},
}

func TestNonMaxSuppressionMatchesORT(t *testing.T) {
	for _, c := range nmsCases {
		t.Run(c.name, func(t *testing.T) {
			tg := newTestGraph(c.name, 1)
			boxes := tg.Input("boxes", graphgen.Float32, c.n, c.b, 4)
			scores := tg.Input("scores", graphgen.Float32, c.n, c.c, c.b)
			// The feeds hold float32 values, as ONNX Runtime sees them.
			tg.feeds[boxes] = convert(c.boxes, func(x float64) float64 { return float64(float32(x)) })
			tg.feeds[scores] = convert(c.scores, func(x float64) float64 { return float64(float32(x)) })
			sel := tg.NonMaxSuppression(boxes, scores, c.maxPerClass, c.iou, c.scoreFloor)
			if c.centre {
				sel.Producer().Attrs["center_point_box"] = int64(1) // graphgen emits corners only
			}
			if sel.DynamicAxis() != 0 || sel.Dim(1) != 3 {
				t.Fatalf("selected indices %s, want [? 3]", sel)
			}
			tg.Output("selected", sel)
			want := runORT(t, tg.Graph, tg.feeds)[0]
			exactly(t, want, c.want)
			got, err := Run(tg.Outputs(), tg.feeds)
			if err != nil {
				t.Fatal(err)
			}
			exactly(t, got[0], c.want)
		})
	}
}

// TestDynamicChainMatchesORT turns NonMaxSuppression's selection into a
// static keep mask, as a detector's export does: Slice and GatherND carry
// the data-dependent dimension, ScatterND ends it.
func TestDynamicChainMatchesORT(t *testing.T) {
	c := nmsCases[0]
	tg := newTestGraph("chain", 1)
	boxes := tg.Input("boxes", graphgen.Float32, c.n, c.b, 4)
	scores := tg.Input("scores", graphgen.Float32, c.n, c.c, c.b)
	tg.feeds[boxes] = convert(c.boxes, func(x float64) float64 { return float64(float32(x)) })
	tg.feeds[scores] = convert(c.scores, func(x float64) float64 { return float64(float32(x)) })
	sel := tg.NonMaxSuppression(boxes, scores, c.maxPerClass, c.iou, c.scoreFloor)
	pairs := tg.Slice(sel, []int{1}, []int{0}, []int{3}, []int{2}) // (image, box)
	best := tg.ReduceMax(scores, false, 1)                         // [N, B]
	kept := tg.ScatterND(tg.Scale(best, 0), pairs, tg.GatherND(best, pairs))
	tg.Output("kept", kept)
	tg.Output("pairs", pairs)
	want := runORT(t, tg.Graph, tg.feeds)
	got, err := Run(tg.Outputs(), tg.feeds)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got[0], want[0], 1)
	exactly(t, got[1], want[1])
	f32 := func(x float64) float64 { return float64(float32(x)) }
	exactly(t, got[0], []float64{f32(0.9), f32(0.95), f32(0.7), f32(0.4), f32(0.3), f32(0.5), 0, f32(0.7), 0, 0})
}
