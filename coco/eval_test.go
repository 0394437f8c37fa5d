package coco

import (
	"math"
	"strings"
	"testing"
)

// one is pycocotools' precision with a single detection counted, a true
// positive: 1/(1+eps). With two or more counted the eps vanishes in the
// rounding and a perfect precision is exactly 1.
const one = 1 / (1 + eps)

// tol is the tolerance of the hand-computed values: they are exact
// fractions, and the means are sums of at most a few thousand terms.
const tol = 1e-12

// set builds a ground truth of 128×128 images 1..images and categories
// 1..cats from boxes given as {image, category, x, y, w, h}; the area is
// w·h and ids count from 1.
func set(images, cats int, boxes ...[6]float64) *Dataset {
	d := &Dataset{}
	for i := 1; i <= images; i++ {
		d.Images = append(d.Images, Image{ID: int64(i), FileName: string(rune('a'+i)) + ".png", Width: 128, Height: 128})
	}
	for c := 1; c <= cats; c++ {
		d.Categories = append(d.Categories, Category{ID: int64(c), Name: string(rune('A' + c))})
	}
	for j, b := range boxes {
		box := Box{b[2], b[3], b[4], b[5]}
		d.Annotations = append(d.Annotations, Annotation{ID: int64(j + 1), ImageID: int64(b[0]),
			CategoryID: int64(b[1]), BBox: box, Area: box.Area()})
	}
	return d
}

// det is a detection of category cat on image img.
func det(img, cat int, x, y, w, h, score float64) Detection {
	return Detection{ImageID: int64(img), CategoryID: int64(cat), BBox: Box{x, y, w, h}, Score: score}
}

// perfect returns one exact detection per ground-truth object, scores
// falling in file order.
func perfect(d *Dataset) []Detection {
	var dets []Detection
	for j, a := range d.Annotations {
		dets = append(dets, Detection{a.ImageID, a.CategoryID, a.BBox, 1 - float64(j)/1000})
	}
	return dets
}

func evaluate(t *testing.T, gt *Dataset, dets []Detection) *Result {
	t.Helper()
	r, err := Evaluate(gt, dets)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// check compares the twelve numbers with want, named as in Summary.
func check(t *testing.T, got Summary, want Summary) {
	t.Helper()
	names := []string{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}
	g, w := got.Values(), want.Values()
	for i := range g {
		if math.Abs(g[i]-w[i]) > tol {
			t.Errorf("%s = %.17g, want %.17g", names[i], g[i], w[i])
		}
	}
}

func TestThresholdsAsNumpy(t *testing.T) {
	iou := IoUThresholds()
	if iou[0] != 0.5 || iou[2] != 0.6 || iou[5] != 0.75 || iou[9] != 0.95 {
		t.Errorf("IoU thresholds %v", iou)
	}
	// numpy.linspace(.5, .95, 10)[8] is 0.8999999999999999, not 0.9.
	if iou[8] != 0.8999999999999999 {
		t.Errorf("IoU threshold 8 is %.17g, want numpy's 0.8999999999999999", iou[8])
	}
	rec := RecallThresholds()
	if len(rec) != 101 || rec[0] != 0 || rec[50] != 0.5 || rec[100] != 1 {
		t.Errorf("recall thresholds %v", rec)
	}
	if rec[70] != 0.7000000000000001 || rec[35] != 0.35000000000000003 {
		t.Errorf("recall thresholds 35 and 70 are %.17g and %.17g; numpy gives 0.35000000000000003 and 0.7000000000000001",
			rec[35], rec[70])
	}
}

func TestIoU(t *testing.T) {
	for _, c := range []struct {
		a, b Box
		want float64
	}{
		{Box{0, 0, 10, 10}, Box{0, 0, 10, 10}, 1},
		{Box{0, 0, 10, 10}, Box{2.5, 0, 10, 10}, 0.6}, // 75/125
		{Box{0, 0, 10, 10}, Box{5, 5, 10, 10}, 25.0 / 175},
		{Box{0, 0, 10, 10}, Box{10, 0, 10, 10}, 0}, // touching
		{Box{0, 0, 10, 10}, Box{20, 20, 1, 1}, 0},
		{Box{0, 0, 10, 10}, Box{2, 2, 0, 5}, 0}, // zero width
	} {
		if got := IoU(c.a, c.b); got != c.want || IoU(c.b, c.a) != c.want {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestPerfectDetections(t *testing.T) {
	// Small (10×10), medium (40×40) and large (100×100) objects, one per
	// image and category, on two images and two categories.
	gt := set(2, 2,
		[6]float64{1, 1, 0, 0, 10, 10}, [6]float64{1, 2, 20, 20, 40, 40},
		[6]float64{2, 1, 0, 0, 100, 100}, [6]float64{2, 2, 110, 110, 10, 10})
	r := evaluate(t, gt, perfect(gt))
	// Each category pools two true positives for "all", so its precision is
	// exactly 1; per size range a category counts one, giving 1/(1+eps), or
	// none (−1, left out of the mean).
	check(t, r.Summary, Summary{1, 1, 1, one, one, one, 1, 1, 1, 1, 1, 1})
	for _, c := range r.Categories {
		if math.Abs(c.AP-1) > tol || math.Abs(c.AR100-1) > tol {
			t.Errorf("category %d: AP %v, AR100 %v", c.ID, c.AP, c.AR100)
		}
	}
	// Category 1 has no medium object.
	if r.Categories[0].APMedium != -1 || r.Categories[0].ARMedium != -1 {
		t.Errorf("category 1 has no medium object but APm %v, ARm %v", r.Categories[0].APMedium, r.Categories[0].ARMedium)
	}
}

func TestUndefinedRangesAreMinusOne(t *testing.T) {
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 10, 10})
	r := evaluate(t, gt, perfect(gt))
	check(t, r.Summary, Summary{one, one, one, one, -1, -1, 1, 1, 1, 1, -1, -1})
	// No detections: defined numbers are 0.
	r = evaluate(t, gt, nil)
	check(t, r.Summary, Summary{0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1})
}

func TestShiftedBox(t *testing.T) {
	// A box shifted by 2.5 px has IoU 75/125 = 0.6 with its object: it
	// matches at the thresholds 0.50, 0.55 and 0.60 (equality counts) and
	// misses at the seven above.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 10, 10})
	r := evaluate(t, gt, []Detection{det(1, 1, 2.5, 0, 10, 10, 0.9)})
	check(t, r.Summary, Summary{
		AP: 3 * one / 10, AP50: one, AP75: 0, APSmall: 3 * one / 10, APMedium: -1, APLarge: -1,
		AR1: 0.3, AR10: 0.3, AR100: 0.3, ARSmall: 0.3, ARMedium: -1, ARLarge: -1,
	})
}

func TestDuplicateIsFalsePositive(t *testing.T) {
	// Objects A and B; detections A (0.9), A again (0.8), B (0.7). The
	// duplicate is a false positive: precisions 1, 1/2, 2/3 at recalls
	// 1/2, 1/2, 1, made 1, 2/3, 2/3 from the right. The recall thresholds
	// 0..0.50 (51) read 1, the 50 above read 2/3.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 20, 20}, [6]float64{1, 1, 50, 50, 20, 20})
	dets := []Detection{det(1, 1, 0, 0, 20, 20, 0.9), det(1, 1, 0, 0, 20, 20, 0.8), det(1, 1, 50, 50, 20, 20, 0.7)}
	r := evaluate(t, gt, dets)
	ap := (51*one + 50*2.0/3) / 101
	check(t, r.Summary, Summary{ap, ap, ap, ap, -1, -1, 0.5, 1, 1, 1, -1, -1})
}

func TestMissedObject(t *testing.T) {
	// Two objects, one detected: recall 1/2 at every threshold; the recall
	// thresholds 0..0.50 (51 of 101) read precision 1/(1+eps), the rest 0.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 20, 20}, [6]float64{1, 1, 50, 50, 20, 20})
	r := evaluate(t, gt, []Detection{det(1, 1, 0, 0, 20, 20, 0.9)})
	ap := 51 * one / 101
	check(t, r.Summary, Summary{ap, ap, ap, ap, -1, -1, 0.5, 0.5, 0.5, 0.5, -1, -1})
}

func TestRecallThresholdRounding(t *testing.T) {
	// Ten objects, seven found: recall 7/10 = 0.7 does not reach numpy's
	// seventieth recall threshold 0.7000000000000001, so 70 thresholds
	// (0..0.69) read precision 1, not 71.
	var boxes [][6]float64
	var dets []Detection
	for j := range 10 {
		x := float64(12 * j)
		boxes = append(boxes, [6]float64{1, 1, x, 0, 10, 10})
		if j < 7 {
			dets = append(dets, det(1, 1, x, 0, 10, 10, 0.9))
		}
	}
	r := evaluate(t, set(1, 1, boxes...), dets)
	if want := 70.0 / 101; math.Abs(r.AP-want) > tol {
		t.Errorf("AP = %.17g, want 70/101 = %.17g", r.AP, want)
	}
}

func TestScoreOrder(t *testing.T) {
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 20, 20})
	hit, miss := det(1, 1, 0, 0, 20, 20, 0.8), det(1, 1, 60, 60, 20, 20, 0.9)
	// The false positive ranks first: precisions 0, 1/2 at recalls 0, 1,
	// made 1/2, 1/2: AP 1/2.
	r := evaluate(t, gt, []Detection{hit, miss})
	check(t, r.Summary, Summary{0.5, 0.5, 0.5, 0.5, -1, -1, 0, 1, 1, 1, -1, -1})
	// Ranked after the hit it costs nothing.
	miss.Score = 0.7
	r = evaluate(t, gt, []Detection{miss, hit})
	check(t, r.Summary, Summary{one, one, one, one, -1, -1, 1, 1, 1, 1, -1, -1})
	// Equal scores keep the file order (a stable sort).
	miss.Score = 0.8
	r = evaluate(t, gt, []Detection{miss, hit})
	if math.Abs(r.AP-0.5) > tol {
		t.Errorf("tie with the false positive first: AP %v, want 0.5", r.AP)
	}
	r = evaluate(t, gt, []Detection{hit, miss})
	if math.Abs(r.AP-one) > tol {
		t.Errorf("tie with the hit first: AP %v, want 1", r.AP)
	}
}

func TestScoreOrderAcrossImages(t *testing.T) {
	// Pooling across images sorts by score: a false positive on image 2
	// scored between two hits on image 1 lowers the precision at full
	// recall to 2/3.
	gt := set(2, 1, [6]float64{1, 1, 0, 0, 20, 20}, [6]float64{1, 1, 50, 50, 20, 20})
	dets := []Detection{det(1, 1, 0, 0, 20, 20, 0.9), det(2, 1, 0, 0, 20, 20, 0.8), det(1, 1, 50, 50, 20, 20, 0.7)}
	r := evaluate(t, gt, dets)
	ap := (51*one + 50*2.0/3) / 101
	if math.Abs(r.AP-ap) > tol {
		t.Errorf("AP %v, want %v", r.AP, ap)
	}
}

func TestAreaRanges(t *testing.T) {
	// One category: a small (10×10), a medium (40×40, area 1600) and a
	// large (100×100) object, and an object of area exactly 32² = 1024,
	// which is both small and medium.
	gt := set(1, 1,
		[6]float64{1, 1, 0, 0, 10, 10}, [6]float64{1, 1, 20, 0, 40, 40},
		[6]float64{1, 1, 0, 28, 100, 100}, [6]float64{1, 1, 90, 0, 32, 32})
	all := perfect(gt)
	r := evaluate(t, gt, all)
	check(t, r.Summary, Summary{1, 1, 1, 1, 1, one, 1 / 4.0, 1, 1, 1, 1, 1})

	// Miss the large object: "all" finds 3 of 4 (recall thresholds 0..0.75
	// read 1: 76 of 101); small and medium are untouched, because the
	// detection of a small object matched to it is ignored in the medium
	// range and vice versa; large is 0.
	r = evaluate(t, gt, []Detection{all[0], all[1], all[3]})
	check(t, r.Summary, Summary{76.0 / 101, 76.0 / 101, 76.0 / 101, 1, 1, 0, 1 / 4.0, 0.75, 0.75, 1, 1, 0})

	// An unmatched small detection is a false positive for "all" and
	// "small", but outside the medium and large ranges it is ignored.
	fp := det(1, 1, 110, 110, 5, 5, 1.5)
	r = evaluate(t, gt, append([]Detection{fp}, all...))
	if r.APMedium != 1 || math.Abs(r.APLarge-one) > tol {
		t.Errorf("a small false positive changes APm %v or APl %v", r.APMedium, r.APLarge)
	}
	// Small: fp, then the two small objects: precisions 0, 1/2, 2/3 made
	// 2/3 throughout.
	if want := 2.0 / 3; math.Abs(r.APSmall-want) > tol {
		t.Errorf("APs %v, want %v", r.APSmall, want)
	}
}

func TestMatchedToIgnoredObject(t *testing.T) {
	// A large object and a detection on it: in the small range the object
	// is ignored, and so is the detection matched to it, instead of
	// counting as a false positive against the small object that is found.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 100, 100}, [6]float64{1, 1, 110, 110, 10, 10})
	dets := []Detection{det(1, 1, 0, 0, 100, 100, 0.9), det(1, 1, 110, 110, 10, 10, 0.8)}
	r := evaluate(t, gt, dets)
	if math.Abs(r.APSmall-one) > tol {
		t.Errorf("APs %v, want 1", r.APSmall)
	}
}

func TestMatchKeepsRelevantOverIgnored(t *testing.T) {
	// In the small range, object S (box 36×36, area 1000: small) counts and
	// object M (box 38×38, area 1444: medium) is ignored. The detection
	// [0,0,37,37] overlaps S with IoU 1296/1369 and M with the higher
	// 1369/1444, but having matched S it stops before the ignored objects,
	// as pycocotools does, and stays a true positive at the nine IoU
	// thresholds 0.50..0.90 (both IoUs are below 0.95).
	gt := &Dataset{
		Images: []Image{{ID: 1, FileName: "a", Width: 64, Height: 64}},
		Annotations: []Annotation{
			{ID: 1, ImageID: 1, CategoryID: 1, BBox: Box{0, 0, 36, 36}, Area: 1000},
			{ID: 2, ImageID: 1, CategoryID: 1, BBox: Box{0, 0, 38, 38}, Area: 1444},
		},
		Categories: []Category{{ID: 1, Name: "x"}},
	}
	r := evaluate(t, gt, []Detection{det(1, 1, 0, 0, 37, 37, 0.9)})
	if want := 0.9 * one; math.Abs(r.APSmall-want) > tol {
		t.Errorf("APs %v, want %v: the detection moved to the ignored object", r.APSmall, want)
	}
	// In the medium range S is ignored and M counts: the detection takes M.
	if want := 0.9 * one; math.Abs(r.APMedium-want) > tol {
		t.Errorf("APm %v, want %v", r.APMedium, want)
	}
}

func TestGreedyBestMatch(t *testing.T) {
	// Objects A = [0,0,10,10] and B = [2,0,10,10] (IoU 8/12). The first
	// detection, [2,0,10,10], takes B (IoU 1) though A also passes 0.5.
	// The second, [0,0,10,10], then takes A. Were the first to take the
	// first passing object, the second would find only B left at IoU 8/12.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 10, 10}, [6]float64{1, 1, 2, 0, 10, 10})
	dets := []Detection{det(1, 1, 2, 0, 10, 10, 0.9), det(1, 1, 0, 0, 10, 10, 0.8)}
	r := evaluate(t, gt, dets)
	if r.AP != 1 || r.AR100 != 1 {
		t.Errorf("AP %v, AR100 %v; want 1 and 1", r.AP, r.AR100)
	}
}

func TestMaxDets(t *testing.T) {
	// Two objects found with scores 0.9 and 0.8: with one detection per
	// image only the first counts.
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 20, 20}, [6]float64{1, 1, 50, 50, 20, 20})
	r := evaluate(t, gt, perfect(gt))
	if r.AR1 != 0.5 || r.AR10 != 1 || r.AR100 != 1 {
		t.Errorf("AR1 %v, AR10 %v, AR100 %v; want 0.5, 1, 1", r.AR1, r.AR10, r.AR100)
	}

	// One object, and false positives scored above its detection (0.1):
	// with 99 of them the hit is the 100th detection and counts, at
	// precision 1/100; with 100 it is cut off.
	gt = set(1, 2, [6]float64{1, 1, 0, 0, 20, 20})
	for _, n := range []int{99, 100} {
		var dets []Detection
		for j := range n {
			dets = append(dets, det(1, 1, 30+float64(j%90), 30, 5, 5, 0.9))
		}
		dets = append(dets, det(1, 1, 0, 0, 20, 20, 0.1))
		// Detections of another category do not count towards the limit.
		for range 50 {
			dets = append(dets, det(1, 2, 0, 0, 20, 20, 0.95))
		}
		r := evaluate(t, gt, dets)
		wantAP, wantAR := 0.01, 1.0
		if n == 100 {
			wantAP, wantAR = 0, 0
		}
		if math.Abs(r.AP-wantAP) > tol || r.AR100 != wantAR || r.AR10 != 0 {
			t.Errorf("%d false positives: AP %v, AR100 %v, AR10 %v; want %v, %v, 0", n, r.AP, r.AR100, r.AR10, wantAP, wantAR)
		}
	}
}

func TestCategoriesWithoutObjectsAreLeftOut(t *testing.T) {
	// Category 2 has no object: its detections change nothing and its
	// numbers are −1.
	gt := set(1, 2, [6]float64{1, 1, 0, 0, 20, 20})
	dets := append(perfect(gt), det(1, 2, 0, 0, 20, 20, 0.99), det(1, 2, 40, 40, 20, 20, 0.98))
	r := evaluate(t, gt, dets)
	if math.Abs(r.AP-one) > tol {
		t.Errorf("AP %v, want 1", r.AP)
	}
	for _, v := range r.Categories[1].Values() {
		if v != -1 {
			t.Errorf("category without objects: %v, want all −1", r.Categories[1].Summary)
			break
		}
	}
	// Two categories average: one perfect, one missed.
	gt = set(1, 2, [6]float64{1, 1, 0, 0, 20, 20}, [6]float64{1, 2, 40, 40, 20, 20})
	r = evaluate(t, gt, perfect(gt)[:1])
	if math.Abs(r.AP-one/2) > tol || r.AR100 != 0.5 {
		t.Errorf("AP %v, AR100 %v; want 1/2 and 1/2", r.AP, r.AR100)
	}
}

func TestEvaluateRejectsUnknownIDs(t *testing.T) {
	gt := set(1, 1, [6]float64{1, 1, 0, 0, 20, 20})
	for _, c := range []struct {
		d    Detection
		want string
	}{
		{det(2, 1, 0, 0, 1, 1, 1), "image_id 2"},
		{det(1, 7, 0, 0, 1, 1, 1), "category_id 7"},
		{det(1, 1, 0, 0, 1, 1, math.NaN()), "score"},
	} {
		_, err := Evaluate(gt, []Detection{det(1, 1, 0, 0, 1, 1, 1), c.d})
		if err == nil || !strings.Contains(err.Error(), "detection 1") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error about detection 1 naming %s", err, c.want)
		}
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{AP: 0.5, APLarge: -1}.String()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines:\n%s", len(lines), s)
	}
	// As pycocotools prints them.
	for i, want := range map[int]string{
		0:  " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500",
		5:  " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000",
		6:  " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.000",
		1:  " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.000",
		10: " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.000",
	} {
		if lines[i] != want {
			t.Errorf("line %d:\n%q\nwant\n%q", i, lines[i], want)
		}
	}
}
