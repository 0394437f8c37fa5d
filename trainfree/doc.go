// Package trainfree defines what the pipelines rank topologies by: the
// training-free measures of a network at initialisation ([Measure]: the
// NTK condition number κ and the length distortion L^E) and the
// [Evaluator] that gives them.
//
// Packages search and scale take an Evaluator, so one evaluator serves both
// pipelines; package complexity computes the measures, and the command line
// wraps it in an [EvaluatorFunc]. A [BatchEvaluator] measures the several
// topologies of one step together: [Sequential] one after another here,
// [Parallel] on several evaluators at once (one measurer per share of the
// cores), package flow's as activities on many workers. The package holds no
// computation, so the pipelines do not depend on ONNX Runtime or on each other.
//
// A Measure's JSON form is {"ntk_cond": κ, "length_distortion": L^E} with
// "bad": true for a bad network; a non-finite value is written as the
// string "NaN", "+Inf" or "-Inf" (runs.Float). Search and scale logs and
// checkpoints hold it, so the form must not change.
package trainfree
