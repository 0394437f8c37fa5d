package coco

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The parameters of the COCO protocol for boxes: pycocotools' defaults for
// iouType "bbox".
const (
	numIoU    = 10  // IoU thresholds 0.50, 0.55, ..., 0.95
	numRecall = 101 // recall thresholds 0.00, 0.01, ..., 1.00
)

// AreaRange is a range of object areas, in square pixels, with its name in
// pycocotools' summary. An object is in the range when Lo <= area <= Hi, so
// an area of exactly 32² is both small and medium.
type AreaRange struct {
	Name   string
	Lo, Hi float64
}

// areaRanges and maxDets are pycocotools' areaRng (0² to 1e5² and the
// 32² and 96² splits) and maxDets.
var (
	areaRanges = [...]AreaRange{{"all", 0, 1e10}, {"small", 0, 32 * 32}, {"medium", 32 * 32, 96 * 96}, {"large", 96 * 96, 1e10}}
	maxDets    = [...]int{1, 10, 100}
)

// AreaRanges returns the area ranges of the protocol: all, small, medium,
// large.
func AreaRanges() []AreaRange { return areaRanges[:] }

// MaxDets returns the limits on detections per image of the protocol: 1,
// 10, 100.
func MaxDets() []int { return maxDets[:] }

// IoUThresholds returns the ten IoU thresholds 0.50, 0.55, ..., 0.95, with
// the values numpy.linspace gives (0.5 + i·(0.45/9)), so that ties with
// an IoU fall the way they do in pycocotools.
func IoUThresholds() []float64 { return linspace(0.5, 0.95, numIoU) }

// RecallThresholds returns the 101 recall thresholds 0, 0.01, ..., 1 as
// numpy.linspace gives them.
func RecallThresholds() []float64 { return linspace(0, 1, numRecall) }

// linspace mirrors numpy.linspace(start, stop, num): i·step + start with
// step = (stop − start)/(num − 1), the last value set to stop.
func linspace(start, stop float64, num int) []float64 {
	step := (stop - start) / float64(num-1)
	y := make([]float64, num)
	for i := range y {
		// The conversion rounds the product, which forbids fusing it with
		// the addition (numpy does not fuse).
		y[i] = float64(float64(i)*step) + start
	}
	y[num-1] = stop
	return y
}

// eps is numpy.spacing(1), the term pycocotools adds to the precision's
// denominator. With one detection counted it makes a perfect precision
// 1/(1+eps) = 1 − 2⁻⁵³·2, not 1; larger denominators absorb it.
const eps = 0x1p-52

// Summary holds the twelve numbers of pycocotools' COCOeval.summarize for
// boxes. AP is averaged over the IoU thresholds 0.50:0.95 unless named
// otherwise, with 100 detections per image; AR is the recall averaged over
// the IoU thresholds. A number is −1 when no category has a ground-truth
// object in its area range.
type Summary struct {
	AP, AP50, AP75             float64
	APSmall, APMedium, APLarge float64
	AR1, AR10, AR100           float64
	ARSmall, ARMedium, ARLarge float64
}

// Values returns the twelve numbers in pycocotools' order (its stats array).
func (s Summary) Values() [12]float64 {
	return [12]float64{s.AP, s.AP50, s.AP75, s.APSmall, s.APMedium, s.APLarge,
		s.AR1, s.AR10, s.AR100, s.ARSmall, s.ARMedium, s.ARLarge}
}

// summaryRows describes each of the twelve numbers as summarize prints it.
var summaryRows = [12]struct {
	ap   bool
	iou  string // "" for 0.50:0.95
	area int
	dets int
}{
	{true, "", 0, 2}, {true, "0.50", 0, 2}, {true, "0.75", 0, 2},
	{true, "", 1, 2}, {true, "", 2, 2}, {true, "", 3, 2},
	{false, "", 0, 0}, {false, "", 0, 1}, {false, "", 0, 2},
	{false, "", 1, 2}, {false, "", 2, 2}, {false, "", 3, 2},
}

// String formats s as the twelve lines pycocotools' summarize prints.
func (s Summary) String() string {
	var b strings.Builder
	for i, v := range s.Values() {
		row := summaryRows[i]
		title, kind := "Average Precision", "(AP)"
		if !row.ap {
			title, kind = "Average Recall", "(AR)"
		}
		iou := row.iou
		if iou == "" {
			iou = "0.50:0.95"
		}
		fmt.Fprintf(&b, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
			title, kind, iou, areaRanges[row.area].Name, maxDets[row.dets], v)
	}
	return b.String()
}

// CategoryResult holds the twelve numbers for one category alone.
type CategoryResult struct {
	Category
	Summary
}

// Result is the outcome of Evaluate.
type Result struct {
	Summary
	// Categories holds one entry per ground-truth category, in id order.
	Categories []CategoryResult

	// precision[t][r][k][a][m] and recall[t][k][a][m] as pycocotools'
	// accumulate leaves them, −1 where undefined.
	precision, recall []float64
	numCats           int
}

func (r *Result) pIndex(t, rec, k, a, m int) int {
	return (((t*numRecall+rec)*r.numCats+k)*len(areaRanges)+a)*len(maxDets) + m
}

func (r *Result) rIndex(t, k, a, m int) int {
	return ((t*r.numCats+k)*len(areaRanges)+a)*len(maxDets) + m
}

// imageEval is pycocotools' evaluateImg result for one image, category and
// area range: its detections in score order (at most the largest maxDets)
// and, per IoU threshold, which of them matched and which are ignored.
type imageEval struct {
	scores   []float64
	matched  [numIoU][]bool
	ignored  [numIoU][]bool
	relevant int // ground-truth objects not ignored
}

// Evaluate scores dets against gt with the COCO protocol for boxes, as
// pycocotools' COCOeval (iouType "bbox", default parameters) followed by
// summarize does:
//   - All images and categories of gt take part, in id order.
//   - Per image and category, detections are sorted by score, highest
//     first, keeping the order of dets among equal scores (numpy's stable
//     mergesort), and only the first 100 are kept.
//   - A ground-truth object is ignored for an area range when its Area lies
//     outside it; ignored objects are tried last. At each IoU threshold t,
//     each detection in score order takes the unmatched object with the
//     highest IoU >= t (among equal IoUs the later one); once it holds an
//     object that is not ignored it does not move to an ignored one. A
//     detection matched to an ignored object is ignored, and so is an
//     unmatched detection whose area W·H lies outside the range.
//   - Per category, area range and maxDets (1, 10, 100), the first maxDets
//     detections of every image are pooled and stably sorted by score.
//     Precision is made non-increasing from the right and read at the 101
//     recall thresholds at the first detection whose recall reaches each
//     (numpy's searchsorted, side "left"), 0 past the last. Categories
//     without a relevant object are left out (−1).
//   - AP is the mean of the precisions, AR the mean of the final recalls,
//     over the IoU thresholds and the categories that are defined.
//
// The arithmetic mirrors pycocotools' (IoU, thresholds from
// numpy.linspace, numpy.spacing(1) in the precision's denominator), so
// matches and precisions agree bit for bit; the final means are plain sums
// where numpy sums pairwise, which may differ in the last bits.
//
// Unlike pycocotools, which ignores detections of unknown categories,
// Evaluate rejects them, as it rejects unknown images as pycocotools does.
func Evaluate(gt *Dataset, dets []Detection) (*Result, error) {
	if err := gt.Validate("ground truth"); err != nil {
		return nil, err
	}
	imgIDs := make([]int64, len(gt.Images))
	for i, im := range gt.Images {
		imgIDs[i] = im.ID
	}
	slices.Sort(imgIDs)
	cats := slices.Clone(gt.Categories)
	slices.SortFunc(cats, func(a, b Category) int { return cmp.Compare(a.ID, b.ID) })
	imgPos := make(map[int64]int, len(imgIDs))
	for i, id := range imgIDs {
		imgPos[id] = i
	}
	catPos := make(map[int64]int, len(cats))
	for k, c := range cats {
		catPos[c.ID] = k
	}
	I, K := len(imgIDs), len(cats)

	// Ground truth and detections per category and image, in file order.
	gts := make([][]*Annotation, K*I)
	for j := range gt.Annotations {
		a := &gt.Annotations[j]
		c := catPos[a.CategoryID]*I + imgPos[a.ImageID]
		gts[c] = append(gts[c], a)
	}
	dts := make([][]*Detection, K*I)
	for j := range dets {
		d := &dets[j]
		if err := checkDetection(*d); err != nil {
			return nil, fmt.Errorf("detection %d: %w", j, err)
		}
		i, ok := imgPos[d.ImageID]
		if !ok {
			return nil, fmt.Errorf("detection %d: image_id %d is not among the ground-truth images", j, d.ImageID)
		}
		k, ok := catPos[d.CategoryID]
		if !ok {
			return nil, fmt.Errorf("detection %d: category_id %d is not among the ground-truth categories", j, d.CategoryID)
		}
		dts[k*I+i] = append(dts[k*I+i], d)
	}

	iouThrs := IoUThresholds()
	// evals[(k*A+a)*I+i], nil where the image has neither objects nor
	// detections of the category.
	A := len(areaRanges)
	evals := make([]*imageEval, K*A*I)
	for k := range K {
		for i := range I {
			g, d := gts[k*I+i], dts[k*I+i]
			if len(g) == 0 && len(d) == 0 {
				continue
			}
			d = slices.Clone(d)
			slices.SortStableFunc(d, func(x, y *Detection) int { return cmp.Compare(y.Score, x.Score) })
			d = d[:min(len(d), maxDets[len(maxDets)-1])]
			ious := make([]float64, len(d)*len(g))
			for di, det := range d {
				for gi, obj := range g {
					ious[di*len(g)+gi] = IoU(det.BBox, obj.BBox)
				}
			}
			for a, rng := range areaRanges {
				evals[(k*A+a)*I+i] = evaluateImage(g, d, ious, rng, iouThrs)
			}
		}
	}

	r := &Result{
		precision: make([]float64, numIoU*numRecall*K*A*len(maxDets)),
		recall:    make([]float64, numIoU*K*A*len(maxDets)),
		numCats:   K,
	}
	for j := range r.precision {
		r.precision[j] = -1
	}
	for j := range r.recall {
		r.recall[j] = -1
	}
	recThrs := RecallThresholds()
	for k := range K {
		for a := range A {
			for m, maxDet := range maxDets {
				r.accumulate(evals[(k*A+a)*I:(k*A+a+1)*I], k, a, m, maxDet, recThrs)
			}
		}
	}
	r.Summary = r.summarize(-1)
	r.Categories = make([]CategoryResult, K)
	for k, c := range cats {
		r.Categories[k] = CategoryResult{Category: c, Summary: r.summarize(k)}
	}
	return r, nil
}

// evaluateImage matches the detections d (in score order) of one image and
// category to its objects g for one area range, at every IoU threshold.
// ious[di*len(g)+gi] is the IoU of d[di] and g[gi].
func evaluateImage(g []*Annotation, d []*Detection, ious []float64, rng AreaRange, iouThrs []float64) *imageEval {
	outside := func(area float64) bool { return area < rng.Lo || area > rng.Hi }
	// Objects not ignored first, each group in file order.
	order := make([]int, 0, len(g))
	for gi, obj := range g {
		if !outside(obj.Area) {
			order = append(order, gi)
		}
	}
	relevant := len(order)
	for gi, obj := range g {
		if outside(obj.Area) {
			order = append(order, gi)
		}
	}
	e := &imageEval{scores: make([]float64, len(d)), relevant: relevant}
	for di, det := range d {
		e.scores[di] = det.Score
	}
	taken := make([]bool, len(g))
	for t, thr := range iouThrs {
		matched, ignored := make([]bool, len(d)), make([]bool, len(d))
		clear(taken)
		if len(g) > 0 {
			for di := range d {
				best, m := math.Min(thr, 1-1e-10), -1 // m indexes order
				for oi, gi := range order {
					if taken[gi] {
						continue
					}
					// Holding an object that counts, stop at the ignored ones.
					if m > -1 && m < relevant && oi >= relevant {
						break
					}
					if iou := ious[di*len(g)+gi]; iou >= best {
						best, m = iou, oi
					}
				}
				if m == -1 {
					continue
				}
				matched[di], ignored[di] = true, m >= relevant
				taken[order[m]] = true
			}
		}
		for di, det := range d {
			if !matched[di] && outside(det.BBox.Area()) {
				ignored[di] = true
			}
		}
		e.matched[t], e.ignored[t] = matched, ignored
	}
	return e
}

// accumulate fills precision and recall for category k, area range a and
// limit m (maxDet detections per image) from the evaluations of the
// images, nil where an image has no objects or detections.
func (r *Result) accumulate(evals []*imageEval, k, a, m, maxDet int, recThrs []float64) {
	type pooled struct {
		score float64
		e     *imageEval
		di    int
	}
	var dets []pooled
	relevant, seen := 0, false
	for _, e := range evals {
		if e == nil {
			continue
		}
		seen = true
		relevant += e.relevant
		for di := range min(len(e.scores), maxDet) {
			dets = append(dets, pooled{e.scores[di], e, di})
		}
	}
	if !seen || relevant == 0 {
		return
	}
	slices.SortStableFunc(dets, func(x, y pooled) int { return cmp.Compare(y.score, x.score) })
	n := len(dets)
	rc, pr := make([]float64, n), make([]float64, n)
	npig := float64(relevant)
	for t := range numIoU {
		var tp, fp float64
		for j, d := range dets {
			if !d.e.ignored[t][d.di] {
				if d.e.matched[t][d.di] {
					tp++
				} else {
					fp++
				}
			}
			rc[j] = tp / npig
			pr[j] = tp / (fp + tp + eps)
		}
		if n > 0 {
			r.recall[r.rIndex(t, k, a, m)] = rc[n-1]
		} else {
			r.recall[r.rIndex(t, k, a, m)] = 0
		}
		for j := n - 1; j > 0; j-- {
			pr[j-1] = math.Max(pr[j-1], pr[j])
		}
		j := 0 // searchsorted(rc, thr, "left"): the first j with rc[j] >= thr
		for ri, thr := range recThrs {
			for j < n && rc[j] < thr {
				j++
			}
			q := 0.0
			if j < n {
				q = pr[j]
			}
			r.precision[r.pIndex(t, ri, k, a, m)] = q
		}
	}
}

// summarize computes the twelve numbers over all categories (k = −1) or
// for category k alone.
func (r *Result) summarize(k int) Summary {
	var v [12]float64
	for i, row := range summaryRows {
		t0, t1 := 0, numIoU
		switch row.iou {
		case "0.50":
			t0, t1 = 0, 1
		case "0.75":
			t0, t1 = 5, 6
		}
		k0, k1 := 0, r.numCats
		if k >= 0 {
			k0, k1 = k, k+1
		}
		sum, n := 0.0, 0
		add := func(x float64) {
			if x > -1 {
				sum += x
				n++
			}
		}
		for t := t0; t < t1; t++ {
			if row.ap {
				for rec := range numRecall {
					for kk := k0; kk < k1; kk++ {
						add(r.precision[r.pIndex(t, rec, kk, row.area, row.dets)])
					}
				}
			} else {
				for kk := k0; kk < k1; kk++ {
					add(r.recall[r.rIndex(t, kk, row.area, row.dets)])
				}
			}
		}
		v[i] = -1
		if n > 0 {
			v[i] = sum / float64(n)
		}
	}
	return Summary{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]}
}
