package detect

// IoU returns the intersection over union of two boxes, 0 when they do not
// overlap or either has no area.
func IoU(a, b Box) float64 {
	iw := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	ih := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	areaA, areaB := a.W*a.H, b.W*b.H
	union := areaA + areaB - inter
	if areaA <= 0 || areaB <= 0 || union <= 0 {
		return 0
	}
	return inter / union
}

// NMS is per-class non-maximum suppression with ONNX NonMaxSuppression's
// rule: going down dets in order (best first, as Decode returns them), a
// detection is kept unless its IoU with a kept detection of its class
// exceeds iouThreshold. It returns the kept detections in their order,
// in a new slice. An iouThreshold of 1 or more keeps every detection.
func NMS(dets []Detection, iouThreshold float64) []Detection {
	var kept []Detection
	for _, d := range dets {
		suppressed := false
		for _, k := range kept {
			if k.Class == d.Class && IoU(k.Box, d.Box) > iouThreshold {
				suppressed = true
				break
			}
		}
		if !suppressed {
			kept = append(kept, d)
		}
	}
	return kept
}
