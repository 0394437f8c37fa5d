// Package coco reads and writes object detection sets in the COCO format and
// scores detections with the COCO protocol.
//
// # Ground truth
//
// [Read] and [Decode] parse a COCO instances file, a JSON object with
//
//	"images":      [{"id", "file_name", "width", "height"}, ...]
//	"annotations": [{"id", "image_id", "category_id", "bbox": [x, y, w, h], "area", "iscrowd"}, ...]
//	"categories":  [{"id", "name"}, ...]
//
// into a [Dataset]. Other keys ("info", "licenses", "segmentation", ...) are
// ignored. [Write] and [Encode] write a Dataset in the same form, so what
// they write reads back unchanged. Both directions check the set with
// [Dataset.Validate]:
//   - every listed key is present and not null, ids are unique within their
//     list, file names are unique and not empty, and image widths and
//     heights are positive;
//   - annotation ids are at least 1 (pycocotools takes a match to id 0 for
//     no match);
//   - image_id and category_id name a listed image and category;
//   - a box has w > 0 and h > 0 and lies inside its image, up to
//     [BoxTolerance] pixels on each side, which absorbs decimal round-off
//     but not an off-by-one pixel;
//   - area is finite and not negative;
//   - iscrowd is 0: crowd regions are not supported, and a set with
//     iscrowd 1 is rejected rather than scored differently from
//     pycocotools.
//
// Errors name the file and the offending entry by list, index and id, as in
// "val.json: annotations[7] (id 12): bbox [3 4 0 5] has w <= 0".
//
// # Results and evaluation
//
// Detections are read and written in the COCO results form, a JSON list of
// {"image_id", "category_id", "bbox": [x, y, w, h], "score"} ([ReadResults],
// [WriteResults]). [Evaluate] scores them against a Dataset as pycocotools'
// COCOeval does for iouType "bbox" with its default parameters, and returns
// the twelve numbers COCOeval.summarize prints (AP, AP50, AP75, AP for
// small, medium and large objects, AR with 1, 10 and 100 detections per
// image, AR for the three sizes), with −1 where a number is undefined, plus
// the same numbers per category. The semantics follow pycocotools'
// cocoeval.py step for step, including its floating-point details (see
// [Evaluate]).
//
// All files are written with package atomicfile: a crash leaves the old file
// or the new one, never a mix.
package coco
