// Package cli implements the asvit command: one file per subcommand, each
// with an options struct bound to its flags and a runXxx function that does
// the work and writes to the given output.
//
// # Commands
//
//   - info ARCH: parameters, MACs, FLOPs and the per-stage geometry of a
//     topology at a given input.
//   - export: builds a topology's inference graph with its weights and
//     writes it as an ONNX model whose metadata records how to feed it.
//   - predict: runs an exported model on PNG or JPEG images, or on a
//     float32 .npy batch, and prints the top classes.
//   - inspect FILE.onnx: metadata, inputs and outputs, node counts and the
//     number of parameters of any ONNX model.
//
// # Exit codes
//
// Run returns 0 on success, 2 for a usage error (a bad or missing flag or
// argument: see UsageError), 130 when interrupted (the context is cancelled)
// and 1 for any other failure. ExitCode maps an error to its code.
//
// # Model metadata
//
// An exported model carries string metadata under the keys asvit.arch,
// asvit.image, asvit.channels, asvit.classes, asvit.mean, asvit.std,
// asvit.output, asvit.version and, when known, asvit.class_names (a JSON
// array) and asvit.seed. predict reads them to preprocess its inputs and to
// name classes.
package cli
