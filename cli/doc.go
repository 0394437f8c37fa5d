// Package cli implements the asvit command: one file per subcommand, each
// with an options struct bound to its flags and a runXxx function that does
// the work and writes to the given output.
//
// # Commands
//
//   - info ARCH: parameters, MACs, FLOPs and the per-stage geometry of a
//     topology at a given input.
//   - export: builds a topology's inference graph with its initial or
//     trained weights and writes it as an ONNX model whose metadata
//     records how to feed it and what it returns.
//   - predict: runs an exported model on PNG or JPEG images, or on a
//     float32 .npy batch, and prints the top classes.
//   - inspect FILE.onnx: metadata, inputs and outputs, node counts and the
//     number of parameters of any ONNX model.
//   - bench step|measure: times training steps against forward passes, or
//     a new candidate's complexity measurement against a cached one, in one
//     process, and reports ratios; --profile adds ONNX Runtime's time by op
//     type and node (package profile), --json writes every number.
//   - detect make-data|train|eval|predict: object detection (packages
//     detdata and detect): pasted Fashion-MNIST sets in COCO form, a
//     resumable detection training run, COCO scores of a run's checkpoint
//     or of a results file, and boxes for images.
//
// Every command that takes a topology accepts it as --arch; info,
// complexity and bench's modes also take it as their one argument, and
// both given must name the same topology (archArgument). bench and detect
// are the commands with subcommands; interspersed knows them, so that
// their flags may follow their arguments as well.
//
// # Exit codes
//
// Run returns 0 on success, 2 for a usage error (a bad or missing flag or
// argument: see UsageError), 130 when interrupted (the context is cancelled)
// and 1 for any other failure. ExitCode maps an error to its code.
//
// # Model metadata
//
// Models are written and their metadata read through package export,
// which owns the table of keys: export writes initial weights or, with
// --from, a training run's checkpoint (through train.Export, the same path
// as the run's own model.onnx), with logits, pooled features or the four
// stage maps of a backbone. predict reads the metadata to preprocess its
// inputs and to name classes; complexity --weights reads the topology,
// input size, channels and classes, which a flag given as well must match.
//
// # Run directories
//
// Every pipeline keeps its run directory through package runs, whose
// config.json records the run's kind; plot redraws the figures of
// whichever kind it finds there, and auto --resume continues the stage
// that was stopped and starts those that never began.
package cli
