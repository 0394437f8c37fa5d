// Package detect turns an As-ViT backbone into an object detector: a light
// feature pyramid on its four stage maps and an anchor-free CenterNet head
// (Zhou, Wang and Krähenbühl, "Objects as Points", 2019).
//
// # Why CenterNet
//
// Every target is dense and fixed in shape: a Gaussian heatmap per class,
// and the centre offset and size at each object's centre cell. The loss
// is then a fixed graph of element-wise ops that our autodiff
// differentiates (no per-image assignment, sampling or NMS inside the
// training graph), and decoding is a 3×3 peak test and a top-k, which
// ONNX expresses with MaxPool and TopK. FCOS would need a size-range
// assignment per pyramid level and a centre-ness branch for little gain at
// our scales.
//
// # Network
//
// Each stage map i (strides 4, 8, 16, 32 at the default patch stride) gets
// a 1×1 lateral convolution to Width channels; from the coarsest, each
// level is upsampled ×2 (nearest) and added to the next finer lateral, as
// in FPN's top-down path, down to stride 4 only; a 3×3 convolution and GELU
// smooth the merged map. Two branches of 3×3 convolution, GELU and 1×1
// convolution predict the class heatmap logits and BoxChannels box values.
// The heatmap's last bias starts at the prior -log((1-π)/π), π =
// PriorProbability. The backbone keeps its own initialisation; its
// classifier (final norm and head) is dropped.
//
// # Targets and loss
//
// Encoder puts, for every object, a Gaussian of CenterNet's radius (see
// gaussianRadius) at its centre cell on its class channel and the box
// targets at that cell: the centre's offset in the cell and the log of the
// width and height as fractions of the image side. The heatmap loss is CenterNet's
// penalty-reduced focal loss (α = 2, β = 4) and the box loss a Charbonnier
// (smooth L1) loss at the centres, both divided by the number of objects;
// see Model.BuildObjective.
//
// # Training and decoding
//
// Stepper trains with train.AdamW (the gradients are graphs, run by ONNX
// Runtime with the rest of the step) and runs the forward pass; SetModel
// swaps the backbone geometry for progressive re-tokenization. Decoder
// turns the outputs into scored boxes, optionally followed by per-class
// NMS (Decoder.IoUThreshold).
//
// # Export
//
// Model.Export writes one ONNX model for services (see ExportGraph): the
// network, Decoder's decoding and per-class ONNX NonMaxSuppression
// (DefaultIoUThreshold), taking normalised images of any batch size and
// returning a fixed K boxes, scores and classes per image, empty slots
// last, with package export's metadata. ExportDecoder is the Go decoder
// that gives the same detections. ExportRun exports a run's checkpoint
// from its directory alone, and Exported runs an exported model with ONNX
// Runtime and nothing else.
//
// # Runs
//
// Run trains a detector from a Config on a set in the layout package
// detdata writes (Config.Data; without one, DefaultData is generated into
// the run directory), with the classifier's machinery from package train:
// AdamW through Stepper, train.LRSchedule, the backbone's re-tokenization
// schedule (train.DefaultSchedule or ParseSchedule, one Model per phase
// by WithBackbone's geometry, Stepper.SetModel at each switch), seeded
// shuffling, and horizontal flips of images and boxes drawn from (seed,
// epoch, image). Its run directory is kept through package runs (kind
// "detect"; the ORT options may change on resume): config.json,
// log.jsonl (StepRecord: loss, heatmap and box loss, learning rate;
// EpochRecord: the training losses and the validation split's COCO
// summary), result.json (Result), the `last` and `best` checkpoints in
// train's checkpoint file (train.WriteTensorFile: header, tensors, CRC,
// atomic), CurvesFile, PredictionsFile (the best checkpoint's validation
// detections, COCO results) and SamplesFile. A checkpoint's header
// carries ModelInfo, all that running its weights needs (Predictor,
// OpenPredictor); the validation split chooses the best epoch and there
// is no test split. A cancelled or killed run resumes to the weights and
// log of an uninterrupted one.
//
// Evaluation takes up to EvalTopK detections per image with scores from
// EvalMinScore, the COCO convention, decoded without NMS, and scores them
// with coco.Evaluate. Model.MACs counts the neck and head convolutions
// beside the backbone's stages.
package detect
