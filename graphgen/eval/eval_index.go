package eval

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/asvit/asvit/graphgen"
)

// topK takes, along attribute "axis" (default -1), the K (operand 1, one
// value) largest entries (smallest with largest 0), sorted, equal entries
// in index order (lower first, as ONNX specifies), and their indices.
func topK(n *graphgen.Node, in []*tensor) ([]*tensor, error) {
	if err := arity(in, 2, 0); err != nil {
		return nil, err
	}
	x, kt := in[0], in[1]
	if len(kt.data) != 1 {
		return nil, fmt.Errorf("operand K has shape %v, want one value", kt.shape)
	}
	axis, err := intAttr(n, "axis", -1)
	if err != nil {
		return nil, err
	}
	if axis, err = normAxis(axis, len(x.shape)); err != nil {
		return nil, err
	}
	largest, err := intAttr(n, "largest", 1)
	if err != nil {
		return nil, err
	}
	if sorted, err := intAttr(n, "sorted", 1); err != nil || sorted != 1 {
		return nil, fmt.Errorf("sorted = %d is unsupported (1 only: unsorted order is left to the runtime) %v", sorted, err)
	}
	k, dim := int(kt.data[0]), x.shape[axis]
	if k < 0 || k > dim {
		return nil, fmt.Errorf("operand K = %d out of 0..%d", k, dim)
	}
	inner := numel(x.shape[axis+1:])
	outer := numel(x.shape[:axis])
	shape := slices.Clone(x.shape)
	shape[axis] = k
	vals, idxs := make([]float64, numel(shape)), make([]float64, numel(shape))
	order := make([]int, dim)
	for o := range outer {
		for i := range inner {
			at := func(j int) float64 { return x.data[(o*dim+j)*inner+i] }
			for j := range order {
				order[j] = j
			}
			slices.SortStableFunc(order, func(a, b int) int {
				if largest != 0 {
					return cmp.Compare(at(b), at(a))
				}
				return cmp.Compare(at(a), at(b))
			})
			for j := range k {
				vals[(o*k+j)*inner+i] = at(order[j])
				idxs[(o*k+j)*inner+i] = float64(order[j])
			}
		}
	}
	return []*tensor{{shape: shape, data: vals}, {shape: slices.Clone(shape), data: idxs}}, nil
}

// index reads an index along an axis of extent dim, negative counting from
// the end, and checks its range.
func index(v float64, dim int) (int, error) {
	i := int(v)
	if i < 0 {
		i += dim
	}
	if i < 0 || i >= dim {
		return 0, fmt.Errorf("index %v out of range for extent %d", v, dim)
	}
	return i, nil
}

// gatherElements is out[i] = data[i with coordinate "axis" (default 0)
// replaced by indices[i]]; the result has the indices' shape.
func gatherElements(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 0); err != nil {
		return nil, err
	}
	data, ind := in[0], in[1]
	axis, err := intAttr(n, "axis", 0)
	if err != nil {
		return nil, err
	}
	rank := len(data.shape)
	if axis, err = normAxis(axis, rank); err != nil {
		return nil, err
	}
	if len(ind.shape) != rank {
		return nil, fmt.Errorf("indices %v and data %v differ in rank", ind.shape, data.shape)
	}
	for d := range rank {
		if d != axis && ind.shape[d] > data.shape[d] {
			return nil, fmt.Errorf("indices %v exceed data %v on axis %d", ind.shape, data.shape, d)
		}
	}
	dst := rowMajorStrides(data.shape)
	coord := make([]int, rank)
	out := make([]float64, len(ind.data))
	for k, v := range ind.data {
		// coord is the row-major position of element k in the indices.
		rem := k
		for d := rank - 1; d >= 0; d-- {
			coord[d] = rem % ind.shape[d]
			rem /= ind.shape[d]
		}
		j, err := index(v, data.shape[axis])
		if err != nil {
			return nil, err
		}
		coord[axis] = j
		off := 0
		for d, c := range coord {
			off += c * dst[d]
		}
		out[k] = data.data[off]
	}
	return &tensor{shape: slices.Clone(ind.shape), data: out}, nil
}

// ndTuples reads the index tuples of GatherND and ScatterND (batch_dims 0):
// for each tuple, the offset of the slice it names in data, and the
// slice's length.
func ndTuples(data, ind *tensor) (offsets []int, size int, err error) {
	if len(ind.shape) < 1 {
		return nil, 0, fmt.Errorf("indices must have rank ≥ 1")
	}
	q := ind.shape[len(ind.shape)-1]
	if q < 1 || q > len(data.shape) {
		return nil, 0, fmt.Errorf("index tuples of length %d for data %v", q, data.shape)
	}
	size = numel(data.shape[q:])
	st := rowMajorStrides(data.shape)
	offsets = make([]int, len(ind.data)/q)
	for t := range offsets {
		for d := range q {
			j, err := index(ind.data[t*q+d], data.shape[d])
			if err != nil {
				return nil, 0, err
			}
			offsets[t] += j * st[d]
		}
	}
	return offsets, size, nil
}

// gatherND concatenates the slices of data that the index tuples in the
// last dimension of indices name.
func gatherND(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 0); err != nil {
		return nil, err
	}
	if b, err := intAttr(n, "batch_dims", 0); err != nil || b != 0 {
		return nil, fmt.Errorf("batch_dims %d is unsupported (0 only) %v", b, err)
	}
	data, ind := in[0], in[1]
	offsets, size, err := ndTuples(data, ind)
	if err != nil {
		return nil, err
	}
	out := make([]float64, 0, len(offsets)*size)
	for _, off := range offsets {
		out = append(out, data.data[off:off+size]...)
	}
	q := ind.shape[len(ind.shape)-1]
	shape := append(slices.Clone(ind.shape[:len(ind.shape)-1]), data.shape[q:]...)
	return &tensor{shape: shape, data: out}, nil
}

// scatterND copies data and writes the slices of updates at the index
// tuples, in order (reduction none).
func scatterND(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 3, 0); err != nil {
		return nil, err
	}
	if r, err := stringAttr(n, "reduction", "none"); err != nil || r != "none" {
		return nil, fmt.Errorf("reduction %q is unsupported (none only) %v", r, err)
	}
	data, ind, upd := in[0], in[1], in[2]
	offsets, size, err := ndTuples(data, ind)
	if err != nil {
		return nil, err
	}
	q := ind.shape[len(ind.shape)-1]
	if want := append(slices.Clone(ind.shape[:len(ind.shape)-1]), data.shape[q:]...); !slices.Equal(upd.shape, want) {
		return nil, fmt.Errorf("updates %v do not match indices %v and data %v (want %v)", upd.shape, ind.shape, data.shape, want)
	}
	out := slices.Clone(data.data)
	for t, off := range offsets {
		copy(out[off:off+size], upd.data[t*size:(t+1)*size])
	}
	return &tensor{shape: slices.Clone(data.shape), data: out}, nil
}

// nonMaxSuppression follows ONNX Runtime's CPU kernel: per image and class,
// the boxes scoring above score_threshold (strictly; all boxes when it is
// omitted) are visited by decreasing score, equal scores in index order
// (ONNX Runtime's heap leaves that order open), and each is selected unless
// its IoU with an already selected box exceeds iou_threshold (default 0),
// until max_output_boxes_per_class (default 0: nothing) are selected. The
// rows (image, class, box) come by image, class, then selection.
func nonMaxSuppression(n *graphgen.Node, in []*tensor) (*tensor, error) {
	if err := arity(in, 2, 3); err != nil {
		return nil, err
	}
	boxes, scores := in[0], in[1]
	if len(boxes.shape) != 3 || boxes.shape[2] != 4 || len(scores.shape) != 3 ||
		scores.shape[0] != boxes.shape[0] || scores.shape[2] != boxes.shape[1] {
		return nil, fmt.Errorf("boxes %v and scores %v must be [N, B, 4] and [N, C, B]", boxes.shape, scores.shape)
	}
	center, err := intAttr(n, "center_point_box", 0)
	if err != nil {
		return nil, err
	}
	if center != 0 && center != 1 {
		return nil, fmt.Errorf("center_point_box %d, want 0 or 1", center)
	}
	scalar := func(i int, def float64) (float64, bool, error) {
		t := optional(in, i)
		if t == nil {
			return def, false, nil
		}
		if len(t.data) != 1 {
			return 0, false, fmt.Errorf("operand %d has shape %v, want one value", i, t.shape)
		}
		return t.data[0], true, nil
	}
	maxOut, _, err := scalar(2, 0)
	if err != nil {
		return nil, err
	}
	iou, _, err := scalar(3, 0)
	if err != nil {
		return nil, err
	}
	if !(iou >= 0 && iou <= 1) {
		return nil, fmt.Errorf("iou_threshold %g out of [0, 1]", iou)
	}
	scoreMin, filter, err := scalar(4, 0)
	if err != nil {
		return nil, err
	}
	nb, nbox, nc := boxes.shape[0], boxes.shape[1], scores.shape[1]
	var out []float64
	for b := range nb {
		corners := make([][4]float64, nbox) // x min, y min, x max, y max
		for i := range corners {
			v := boxes.data[(b*nbox+i)*4:][:4]
			if center == 0 {
				corners[i] = [4]float64{min(v[1], v[3]), min(v[0], v[2]), max(v[1], v[3]), max(v[0], v[2])}
			} else {
				corners[i] = [4]float64{v[0] - v[2]/2, v[1] - v[3]/2, v[0] + v[2]/2, v[1] + v[3]/2}
			}
		}
		for c := range nc {
			s := scores.data[(b*nc+c)*nbox:][:nbox]
			var cand []int
			for i, v := range s {
				if !filter || v > scoreMin {
					cand = append(cand, i)
				}
			}
			slices.SortStableFunc(cand, func(i, j int) int { return cmp.Compare(s[j], s[i]) })
			var kept []int
			for _, i := range cand {
				if float64(len(kept)) >= maxOut {
					break
				}
				if !slices.ContainsFunc(kept, func(j int) bool { return suppresses(corners[j], corners[i], iou) }) {
					kept = append(kept, i)
					out = append(out, float64(b), float64(c), float64(i))
				}
			}
		}
	}
	return &tensor{shape: []int{len(out) / 3, 3}, data: out}, nil
}

// suppresses reports whether boxes a and b (x min, y min, x max, y max)
// overlap with IoU above threshold; as in ONNX Runtime, boxes without a
// positive intersection, area or union never do.
func suppresses(a, b [4]float64, threshold float64) bool {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return false
	}
	inter := iw * ih
	areaA := (a[2] - a[0]) * (a[3] - a[1])
	areaB := (b[2] - b[0]) * (b[3] - b[1])
	union := areaA + areaB - inter
	if inter <= 0 || areaA <= 0 || areaB <= 0 || union <= 0 {
		return false
	}
	return inter/union > threshold
}
