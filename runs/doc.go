// Package runs keeps the files of one pipeline run in a directory, so that a
// run killed at any moment can be resumed and gives the same result as one
// that was never interrupted.
//
// # Files
//
//   - config.json: the pipeline kind, the format version of the files, the
//     tool version and the run's settings (flags and seed).
//   - log.jsonl: one JSON record per step, appended and fsynced.
//   - checkpoint: the pipeline's state after its last complete step, written
//     atomically (temporary file, fsync, rename, fsync of the directory).
//   - result.json: the final result, written atomically.
//
// # Crash safety
//
// A step appends its log record first and then writes the checkpoint. The
// checkpoint stores the size of the log it covers, and [Open] with resume
// cuts the log back to that size. A crash after the log append and before the
// checkpoint therefore loses only the step in flight, and a half-written last
// line is removed as well. A pipeline whose checkpoints are files of its own
// (training's tensors) opens its directory with [OpenExternal], stores
// [Dir.LogSize] in each checkpoint, and gives the size back on resume.
//
// # Resume
//
// [Open] with resume reads config.json and refuses a different pipeline kind,
// a different format version, or settings that differ from the given ones;
// the error names every differing key with both values. Keys the kind lists
// as [Kind.Free] (how the run executes: threads, device) may differ. The
// tool version is recorded for information only. A config.json without a
// kind and format, from an asvit older than this mechanism, is refused with
// a message that says so. [Started] tells whether a directory holds a run
// at all, and [KindOf] which kind, for callers that handle several.
//
// # Plots
//
// [SavePNG] lays out a grid of gonum plots on one PNG, for the pipelines'
// Plot functions, which redraw a run's figures from its log. It keeps each
// legend clear of the data by widening the y axis on the legend's side.
//
// # Non-finite numbers
//
// JSON has no NaN or infinities. [Float] writes them as the strings "NaN",
// "+Inf" and "-Inf" and reads them back; finite values round-trip exactly.
package runs
