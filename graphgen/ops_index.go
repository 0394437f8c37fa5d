package graphgen

import (
	"slices"
	"strings"
)

// TopK returns the k largest (or, with largest false, smallest) entries of
// x along axis, sorted, and their int64 indices along that axis. Equal
// entries come in index order, lower first (ONNX's rule).
func (g *Graph) TopK(x *Value, k, axis int, largest bool) (values, indices *Value) {
	const op = "TopK"
	if x.dtype == Bool {
		fail(op, "operand %s is Bool; TopK orders numbers", x)
	}
	axis = normAxis(op, axis, x.Rank())
	if k < 1 || k > x.shape[axis] {
		fail(op, "k = %d out of 1..%d for axis %d of %s", k, x.shape[axis], axis, x)
	}
	shape := slices.Clone(x.shape)
	shape[axis] = k
	attrs := map[string]any{"axis": int64(axis), "largest": b2i(largest), "sorted": int64(1)}
	outs := g.addNode(op, []*Value{x, g.Ints(k)}, attrs, []DType{x.dtype, Int64}, [][]int{shape, slices.Clone(shape)})
	return outs[0], outs[1]
}

// needIndices checks that indices is an Int64 value of rank ≥ 1.
func needIndices(op string, indices *Value) {
	if indices.dtype != Int64 || indices.Rank() < 1 {
		fail(op, "indices %s must be Int64 of rank ≥ 1", indices)
	}
}

// GatherElements returns out[i] = data[i with its axis coordinate replaced
// by indices[i]] (negative indices count from the end): the result has
// indices' shape. indices has data's rank and, off axis, dimensions no
// larger than data's (ONNX Runtime checks this).
func (g *Graph) GatherElements(data, indices *Value, axis int) *Value {
	const op = "GatherElements"
	needIndices(op, indices)
	axis = normAxis(op, axis, data.Rank())
	if indices.Rank() != data.Rank() {
		fail(op, "indices %s and data %s differ in rank", indices, data)
	}
	for i, d := range indices.shape {
		if i != axis && d > data.shape[i] {
			fail(op, "indices %s exceed data %s on axis %d", indices, data, i)
		}
	}
	return g.op1(op, []*Value{data, indices}, map[string]any{"axis": int64(axis)}, data.dtype, slices.Clone(indices.shape))
}

// indexTuples checks the indices of GatherND and ScatterND: Int64, the
// last dimension q static and at most data's rank. It returns q.
func indexTuples(op string, data, indices *Value) int {
	needIndices(op, indices)
	if data.DynamicAxis() >= 0 {
		fail(op, "data %s must be statically shaped", data)
	}
	q := indices.Dim(-1)
	if q == Dynamic || q < 1 || q > data.Rank() {
		fail(op, "indices %s must end in a static dimension of 1..%d (the rank of data %s)", indices, data.Rank(), data)
	}
	return q
}

// GatherND returns the slices data[t] for the index tuples t in the last
// dimension of indices (batch_dims 0): its shape is indices' shape without
// the last dimension, followed by data's dimensions past the tuple's
// length. indices may have a Dynamic dimension, which the result keeps.
func (g *Graph) GatherND(data, indices *Value) *Value {
	const op = "GatherND"
	q := indexTuples(op, data, indices)
	shape := append(slices.Clone(indices.shape[:indices.Rank()-1]), data.shape[q:]...)
	y := g.op1(op, []*Value{data, indices}, nil, data.dtype, shape)
	y.dyn = indices.dyn
	return y
}

// ScatterND returns a copy of data with the slices data[t] replaced by the
// matching slices of updates, for the index tuples t in the last dimension
// of indices (reduction none: ONNX leaves repeated tuples undefined).
// updates has indices' shape without the last dimension, followed by data's
// dimensions past the tuple's length. indices and updates may share a
// Dynamic dimension; the result has data's static shape.
func (g *Graph) ScatterND(data, indices, updates *Value) *Value {
	const op = "ScatterND"
	q := indexTuples(op, data, indices)
	sameDType(op, data, updates)
	want := append(slices.Clone(indices.shape[:indices.Rank()-1]), data.shape[q:]...)
	if !slices.Equal(updates.shape, want) || (updates.DynamicAxis() >= 0 && updates.dyn != indices.dyn) {
		fail(op, "updates %s do not match indices %s and data %s (want shape %s)", updates, indices, data, shapeString(want))
	}
	return g.op1(op, []*Value{data, indices, updates}, nil, data.dtype, slices.Clone(data.shape))
}

// NonMaxSuppression selects boxes per image and class (ONNX
// NonMaxSuppression, center_point_box 0). boxes are Float32 [N, B, 4] as
// corners [y1, x1, y2, x2] (either diagonal), scores Float32 [N, C, B].
// Within each image and class, the boxes scoring above scoreThreshold
// (strictly, as ONNX Runtime compares) are visited by decreasing score, and
// one is selected unless its IoU with a box already selected exceeds
// iouThreshold (in [0, 1]), up to maxPerClass (≥ 1) boxes. The result is
// Int64 [M, 3], rows (image, class, box index) ordered by image, class,
// then selection; M depends on the data (a Dynamic dimension).
func (g *Graph) NonMaxSuppression(boxes, scores *Value, maxPerClass int, iouThreshold, scoreThreshold float64) *Value {
	const op = "NonMaxSuppression"
	if boxes.dtype != Float32 || scores.dtype != Float32 {
		fail(op, "boxes %s and scores %s must be Float32 (ONNX allows no other type)", boxes, scores)
	}
	if boxes.Rank() != 3 || boxes.Dim(2) != 4 || scores.Rank() != 3 || scores.Dim(0) != boxes.Dim(0) || scores.Dim(2) != boxes.Dim(1) {
		fail(op, "boxes %s and scores %s must be [N, B, 4] and [N, C, B]", boxes, scores)
	}
	if maxPerClass < 1 || !(iouThreshold >= 0 && iouThreshold <= 1) {
		fail(op, "max per class %d and IoU threshold %g: want ≥ 1 and in [0, 1]", maxPerClass, iouThreshold)
	}
	inputs := []*Value{
		boxes, scores,
		g.Const(Int64, []int{1}, []int64{int64(maxPerClass)}),
		g.Const(Float32, []int{1}, []float32{float32(iouThreshold)}),
		g.Const(Float32, []int{1}, []float32{float32(scoreThreshold)}),
	}
	y := g.op1(op, inputs, map[string]any{"center_point_box": int64(0)}, Int64, []int{Dynamic, 3})
	y.dyn = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, y.node.Name)
	return y
}
