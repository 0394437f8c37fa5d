// Package export writes an As-ViT model with its weights as an ONNX file
// whose metadata says how to feed it and what it returns, and reads that
// metadata back. It is the one owner of the metadata table: `asvit export`,
// the model.onnx of a training run, package detect's detectors, and
// `asvit predict`, `inspect` and `complexity --weights` all go through it.
//
// It sits above vit (which builds the graphs) and below train, detect and
// cli (which write models), so none of those imports another for it; the
// table is about files and data (normalisation, class names, where the
// weights came from), which vit, a description of networks, has no
// business knowing. Model builds and writes a backbone's graph; Graph
// writes a graph built elsewhere (a detector's).
//
// # Metadata
//
// Every value is a string in the model's metadata_props:
//
//	asvit.arch            topology string (vit.Parse)
//	asvit.image           input side in pixels
//	asvit.channels        1 or 3
//	asvit.classes         classes of the head
//	asvit.mean, asvit.std per channel on the [0,1] scale, comma-separated
//	asvit.class_names     JSON array, one per class (logits or
//	                      detections; optional)
//	asvit.output          logits, features, stages or detections (see
//	                      Output)
//	asvit.patch_stride    the tokenizer the weights belong to
//	asvit.patch_dilation
//	asvit.weights         init (drawn from asvit.seed), best or last (a
//	                      training run's checkpoint)
//	asvit.seed            the seed of the draw, or of the training run
//	asvit.epoch           trained weights: epochs finished
//	asvit.step            trained weights: AdamW steps taken
//	asvit.version         the asvit version that wrote the file
//
// The first seven are required to read a model (Decode); the others are
// optional, so files from earlier versions still read.
//
// A detector (output detections, written by package detect through Graph)
// also records how it selects its boxes, all four required:
//
//	asvit.top_k           K, the box slots per image
//	asvit.score_threshold the least score of a box kept, in [0, 1]
//	asvit.iou_threshold   per-class NMS threshold in [0, 1] (1: no NMS)
//	asvit.layout          DetectionsLayout, naming the outputs and their
//	                      shapes: boxes [N,K,4] as COCO x, y, w, h in
//	                      input pixels, scores [N,K], classes [N,K]
//
// Its classes are the detector's object classes, and arch, image,
// channels, patch stride and dilation describe its backbone.
package export
