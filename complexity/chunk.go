package complexity

import (
	"github.com/asvit/asvit/graphgen"
	"github.com/asvit/asvit/vit"
)

// chunkBudget is the size, in bytes, of the forward values one pass of
// Method Fast makes when Settings.Chunk is 0. A reverse sweep keeps most of
// them until its backward pass; at 224 px stage 1's attention makes them
// large (about 180 MiB an image for the seed), and up to about 112 px a
// whole batch of 16 fits.
const chunkBudget = 768 << 20

// PassRows returns the most rows (κ images or curve points) one pass of
// Method Fast takes for m: Settings.Chunk, or as many images as fit
// chunkBudget.
func PassRows(m vit.Model, s Settings) (int, error) {
	if s.Chunk > 0 {
		return s.Chunk, nil
	}
	perRow, err := forwardBytesPerImage(m)
	if err != nil {
		return 0, err
	}
	return int(max(1, chunkBudget/perRow)), nil
}

// forwardBytesPerImage sums the float32 values a forward pass makes for one
// image.
func forwardBytesPerImage(m vit.Model) (int64, error) {
	mg, err := newMeasureGraph(m, graphgen.Float32)
	if err != nil {
		return 0, err
	}
	if _, _, err := mg.features(m, ntkInputName, 1, false); err != nil {
		return 0, err
	}
	var n int64
	for _, node := range mg.g.Nodes() {
		for _, v := range node.Outputs {
			n += int64(v.Size())
		}
	}
	return 4 * max(n, 1), nil
}

// chunkBounds splits n rows into the fewest passes of at most rows each,
// as even as possible: pass c takes rows [bounds[c], bounds[c+1]).
func chunkBounds(n, rows int) []int {
	passes := (n + rows - 1) / rows
	bounds := make([]int, passes+1)
	for c := range bounds {
		bounds[c] = c * n / passes
	}
	return bounds
}
