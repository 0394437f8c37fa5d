package eval

import (
	"testing"

	"github.com/asvit/asvit/graphgen"
)

func TestConvMatchesORT(t *testing.T) {
	conv := func(x, w []int, withBias bool, p graphgen.ConvParams) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value {
			var b *graphgen.Value
			if withBias {
				b = tg.param(-1, 1, w[0])
			}
			return tg.Conv(tg.in(-1, 1, x...), tg.param(-1, 1, w...), b, p)
		}
	}
	convT := func(x, w []int, p graphgen.ConvParams, out [2]int) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value {
			return tg.ConvTranspose(tg.in(-1, 1, x...), tg.param(-1, 1, w...), p, out)
		}
	}
	checkAgainstORT(t, []opCase{
		{"Conv3x3", 27, conv([]int{2, 3, 7, 7}, []int{4, 3, 3, 3}, false, graphgen.ConvParams{})},
		{"ConvPaddedBias", 27, conv([]int{1, 3, 6, 6}, []int{5, 3, 3, 3}, true, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}})},
		{"ConvStridedAsymmetricPads", 27, conv([]int{2, 3, 9, 8}, []int{4, 3, 3, 3}, true,
			graphgen.ConvParams{Strides: [2]int{2, 3}, Pads: [4]int{0, 1, 1, 2}})},
		{"ConvDilated", 18, conv([]int{1, 2, 9, 9}, []int{3, 2, 3, 3}, false,
			graphgen.ConvParams{Dilations: [2]int{2, 3}, Pads: [4]int{2, 1, 0, 3}})},
		{"ConvPatchify", 48, conv([]int{2, 3, 8, 8}, []int{6, 3, 4, 4}, true, graphgen.ConvParams{Strides: [2]int{4, 4}})},
		{"ConvNonSquareKernel", 12, conv([]int{1, 2, 5, 7}, []int{3, 2, 2, 3}, false,
			graphgen.ConvParams{Strides: [2]int{1, 2}, Pads: [4]int{1, 0, 0, 1}})},
		{"ConvTranspose", 27, convT([]int{1, 3, 4, 4}, []int{3, 2, 3, 3}, graphgen.ConvParams{}, [2]int{6, 6})},
		{"ConvTransposeStridedOutputPadding", 12, convT([]int{2, 3, 3, 4}, []int{3, 4, 2, 2},
			graphgen.ConvParams{Strides: [2]int{2, 2}}, [2]int{7, 9})},
		{"ConvTransposeStridedPadded", 12, convT([]int{1, 3, 4, 3}, []int{3, 2, 3, 3},
			graphgen.ConvParams{Strides: [2]int{2, 3}, Pads: [4]int{1, 0, 1, 2}}, [2]int{8, 8})},
		{"ConvGrouped", 18, conv([]int{2, 4, 7, 6}, []int{6, 2, 3, 3}, true,
			graphgen.ConvParams{Strides: [2]int{2, 1}, Pads: [4]int{1, 0, 1, 2}, Group: 2})},
		{"ConvDepthwiseMultiplier4", 4, conv([]int{2, 3, 6, 6}, []int{12, 1, 2, 2}, false,
			graphgen.ConvParams{Strides: [2]int{2, 2}, Pads: [4]int{0, 0, 1, 1}, Group: 3})},
		{"ConvTransposeGrouped", 18, convT([]int{2, 4, 3, 4}, []int{4, 3, 3, 2},
			graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{1, 2}, Pads: [4]int{1, 0, 0, 1}, Group: 2}, [2]int{6, 5})},
		{"ConvTransposeDepthwise", 4, convT([]int{1, 6, 3, 3}, []int{6, 1, 2, 2},
			graphgen.ConvParams{Strides: [2]int{2, 2}, Group: 6}, [2]int{7, 7})},
		{"ConvTransposeDilated", 27, convT([]int{1, 3, 4, 4}, []int{3, 2, 3, 3},
			graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{2, 3}, Pads: [4]int{1, 1, 0, 1}}, [2]int{11, 8})},
	})
}

func TestConvByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{1, 1, 3, 3}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
	ones := g.Const(graphgen.Float64, []int{1, 1, 3, 3}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1})
	// A 3×3 box sum of zero-padded 1..9: each output is the sum of its neighbourhood.
	y := g.Conv(x, ones, nil, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}})
	exactly(t, runOne(t, y, nil), []float64{12, 21, 16, 27, 45, 33, 24, 39, 28})
	// Stride 2 with a bias picks the corners of that box sum.
	b := g.Const(graphgen.Float64, []int{1}, []float64{0.5})
	y = g.Conv(x, ones, b, graphgen.ConvParams{Strides: [2]int{2, 2}, Pads: [4]int{1, 1, 1, 1}})
	exactly(t, runOne(t, y, nil), []float64{12.5, 16.5, 24.5, 28.5})
}

func TestConvTransposeByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{1, 1, 2, 2}, []float64{1, 2, 3, 4})
	w := g.Const(graphgen.Float64, []int{1, 1, 2, 2}, []float64{1, 10, 100, 1000})
	// Stride 2 with a 2×2 kernel tiles x[i,j]·w; output_padding adds a zero row and column.
	y := g.ConvTranspose(x, w, graphgen.ConvParams{Strides: [2]int{2, 2}}, [2]int{5, 5})
	exactly(t, runOne(t, y, nil), []float64{
		1, 10, 2, 20, 0,
		100, 1000, 200, 2000, 0,
		3, 30, 4, 40, 0,
		300, 3000, 400, 4000, 0,
		0, 0, 0, 0, 0,
	})
	// Stride 1 overlaps the copies, and pads crop one row and column at the start.
	y = g.ConvTranspose(x, w, graphgen.ConvParams{Pads: [4]int{1, 1, 0, 0}}, [2]int{2, 2})
	exactly(t, runOne(t, y, nil), []float64{1000 + 200 + 30 + 4, 2000 + 40, 3000 + 400, 4000})
}

// TestGroupedConvIsPerGroupConvs checks group G against its definition: G
// group-1 convolutions of the groups' channels, concatenated. The sums are
// the same products in the same order, so they agree to rounding.
func TestGroupedConvIsPerGroupConvs(t *testing.T) {
	const group = 3
	tg := newTestGraph("groups", 5)
	x := tg.in(-1, 1, 2, 6, 7, 6)
	w, b := tg.param(-1, 1, 9, 2, 3, 2), tg.param(-1, 1, 9)
	wt := tg.param(-1, 1, 9, 2, 2, 3)
	p := graphgen.ConvParams{Strides: [2]int{2, 1}, Dilations: [2]int{1, 2}, Pads: [4]int{1, 2, 0, 1}}
	gp := p
	gp.Group = group
	y := tg.Conv(x, w, b, gp)
	yt := tg.ConvTranspose(y, wt, gp, [2]int{6, 8})
	slice := func(v *graphgen.Value, axis, k int) *graphgen.Value {
		size := v.Dim(axis) / group
		return tg.Slice(v, []int{axis}, []int{k * size}, []int{(k + 1) * size}, []int{1})
	}
	var convs, transposed []*graphgen.Value
	for k := range group {
		convs = append(convs, tg.Conv(slice(x, 1, k), slice(w, 0, k), slice(b, 0, k), p))
		transposed = append(transposed, tg.ConvTranspose(slice(y, 1, k), slice(wt, 0, k), p, [2]int{6, 8}))
	}
	got, err := Run([]*graphgen.Value{y, tg.Concat(1, convs...), yt, tg.Concat(1, transposed...)}, tg.feeds)
	if err != nil {
		t.Fatal(err)
	}
	exactly(t, got[0], got[1])
	exactly(t, got[2], got[3])
}

func TestMaxPoolMatchesORT(t *testing.T) {
	pool := func(x []int, k [2]int, p graphgen.ConvParams) func(tg *testGraph) *graphgen.Value {
		return func(tg *testGraph) *graphgen.Value { return tg.MaxPool(tg.in(-1, 1, x...), k, p) }
	}
	checkAgainstORT(t, []opCase{
		{"MaxPool3x3Same", 1, pool([]int{2, 3, 7, 6}, [2]int{3, 3}, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}})},
		{"MaxPool2x2Stride2", 1, pool([]int{1, 2, 8, 8}, [2]int{2, 2}, graphgen.ConvParams{Strides: [2]int{2, 2}})},
		{"MaxPoolAsymmetric", 1, pool([]int{1, 2, 9, 7}, [2]int{3, 2},
			graphgen.ConvParams{Strides: [2]int{2, 1}, Pads: [4]int{2, 0, 0, 1}})},
		{"MaxPoolDilated", 1, pool([]int{2, 1, 9, 9}, [2]int{2, 3},
			graphgen.ConvParams{Strides: [2]int{1, 2}, Dilations: [2]int{2, 2}, Pads: [4]int{1, 1, 0, 2}})},
	})
}

func TestMaxPoolByHand(t *testing.T) {
	g := graphgen.New("hand")
	x := g.Const(graphgen.Float64, []int{1, 1, 3, 3}, []float64{1, 5, 3, 4, 2, 6, 7, 8, 0})
	y := g.MaxPool(x, [2]int{3, 3}, graphgen.ConvParams{Pads: [4]int{1, 1, 1, 1}})
	exactly(t, runOne(t, y, nil), []float64{5, 6, 6, 8, 8, 8, 8, 8, 8})
	// A negative plane: the padding never wins.
	neg := g.Const(graphgen.Float64, []int{1, 1, 1, 2}, []float64{-3, -2})
	exactly(t, runOne(t, g.MaxPool(neg, [2]int{1, 2}, graphgen.ConvParams{Pads: [4]int{0, 1, 0, 1}}), nil), []float64{-3, -2, -2})
}
