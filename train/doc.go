// Package train trains As-ViT networks on ONNX Runtime, with AdamW, a
// warm-up and cosine learning rate, label smoothing and progressive
// re-tokenization.
//
// # The training step
//
// BuildAdamW writes one graph per objective and batch: any scalar loss
// over a parameter table (an Objective: its data inputs, loss, reported
// outputs and gradients by graphgen.VJP) followed by torch.optim.AdamW's
// update with decay on the rank ≥ 2 weights only. The learning rate and
// both bias corrections are inputs, so a schedule drives them without
// rebuilding anything. BuildStep is the classifier's: the forward pass and
// the label-smoothed cross-entropy (its targets, a smoothed one-hot
// computed in Go by Targets, are an input). Package detect trains its
// detector through the same AdamW.
//
// AdamW runs such a graph. Parameters and moments ping-pong between two
// sets of ONNX Runtime tensors: each step reads one set and writes the next
// state straight into the other (Session.RunInto), so no step copies a
// weight through Go. A Stepper adds a classifier's evaluation graph of any
// batch size (logits only), which reads the current set. Re-tokenization
// swaps both graphs for ones with the new patch stride and dilation and
// keeps the tensors.
//
// # Schedules
//
// ParseSchedule reads `--retoken` schedules such as
// "16x5:0.3,8x2:0.3,4x1:0.4" (stride × dilation : fraction of the epochs);
// Schedule.Epochs gives each phase its whole epochs, and DefaultSchedule
// derives the paper's schedule from the first kernel K1 and drops phases
// the image is too small for. LRSchedule is a linear warm-up then a cosine
// decay over all steps, continuous across phases.
//
// # Cost
//
// Accounting counts training FLOPs as 3 × 2 × MACs per image (forward plus
// a backward pass of twice its cost), phase by phase, and the fraction saved
// against training at full resolution throughout.
//
// # Runs
//
// Run trains from a Config and keeps its run directory through package
// runs: config.json (kind "train", the Config with the schedule, classes
// and normalisation it resolved to; the ORT options may change on
// resume), log.jsonl (a record per epoch and a step record every
// Config.LogEvery steps, about 100 per run by default), result.json, and
// next to them the `last` and `best` checkpoints (a binary format with a
// header, a version and a CRC, written atomically: the tensors are too
// large for JSON). Each checkpoint records the size of the log it covers,
// and a resume cuts the log back to what `last` covers, so a resumed run
// computes and logs what an uninterrupted one would have; it refuses a
// configuration that differs from config.json.
//
// Export writes a checkpoint as an ONNX model through package export, from
// the run directory alone; model.onnx is the best checkpoint's, with
// logits. Plot redraws learning_curve.png from the log: the loss of every
// step record, the epoch results, and the re-tokenization switches where
// they happened. Progress reports steps and epochs to the caller; nothing
// here writes to the terminal.
package train
