// Package search finds an As-ViT topology with REINFORCE on training-free
// measures (§4 of the spec), without training any candidate.
//
// # Policy
//
// One independent categorical per choice of vit.Choices() (K1..K4, S1..S3,
// E1..E4, H; S4 is fixed to 1, a one-value categorical that adds nothing),
// so the initial entropy is 5 ln5 + 6 ln3 + ln2 ≈ 15.33 nats. The logits
// start at 1e-3·N(0,1) drawn from Config.Seed. Each step samples a topology
// with C = 32 and depths 1, measures it with a [trainfree.Evaluator], turns
// the measures into a reward, updates a baseline and takes one Adam step
// (lr 0.08, β = (0.9, 0.999), ε = 1e-8, as torch.optim.Adam) on
// loss = -log π(a)·(reward - baseline). The baseline is an exponential
// moving average (momentum 0.9) kept as numerator and denominator, so it is
// bias-corrected; it takes the step's reward before the advantage is
// formed, as in the authors' code. After Config.Steps steps (500) the
// result is the most probable value of each choice.
//
// With Config.BatchSize M > 1 a step samples M topologies from the same
// policy, measures them together (they may run at the same time, on many
// machines: see package flow), and takes one Adam step on the mean of their
// gradients. The rewards and the baseline advance sample by sample in the
// order drawn, as M single steps would push them; M = 1 is the step above.
// The log has one record per sample, with its index in the step.
//
// Everything runs in float64 (the authors' policy is float32 on PyTorch) and
// the samples come from math/rand/v2's PCG, so a run follows the authors'
// algorithm but not their random numbers.
//
// # Reward
//
// Histories of κ and L^E are kept. The change of a series at a step is
// (v_t - v_{t-1}) / (max - min + 1e-6) over its last 20 values, the current
// one included; the reward is -change(κ) + change(L^E), and 0 at the first
// step. A bad network (Measure.Bad, or a κ that is not finite) enters with
// the largest κ in the history. When a later good κ exceeds that maximum,
// every earlier bad entry is raised to it before the step's change is
// taken; the L^E history is left alone.
//
// What the raise affects: changes are not stored, each step's change is
// computed from the history as it then stands. A raise therefore changes
// the current step's reward (its previous value and range) and every later
// window. Rewards of earlier steps have already updated the policy and stay
// as logged. The authors' code rewrites its stored changes around each bad
// entry, but it only ever reads the latest change, so there too the rewrite
// changes nothing but the values. Until the first good κ, bad entries hold a
// placeholder; their κ changes are 0 and the first good κ raises them all.
// A non-finite L^E, which the spec does not cover, enters as the smallest
// (worst) L^E so far, or 0 at the first step.
//
// Where the authors' code differs: their bad flag is computed from κ and
// then overwritten with false whenever L^E is measured too, which it always
// is, so the bad-network handling never fires. Their κ is the mean over
// repeats with -1 for a repeat whose κ is NaN, so a network whose every
// repeat is NaN enters with κ = -1, which the reward treats as excellent,
// and a partly NaN one enters with a lowered mean. Their bad-entry rewrite
// also copies κ into the L^E history. We implement the evident intent
// instead, as the spec asks.
//
// # Cache
//
// A topology's Measure is kept by its string and reused when the topology
// is sampled again (Config.NoCache measures it every time). The authors
// re-measure with fresh weights; with a cache the reward sees one draw per
// topology.
//
// # Measures and evaluators
//
// [trainfree.Measure] and [trainfree.Evaluator] live in package trainfree,
// which package scale uses too, so that both pipelines accept the same
// evaluator. The command that wires them wraps package complexity's
// measurer in a [trainfree.EvaluatorFunc].
//
// For resume to repeat an uninterrupted run, Evaluate must return the same
// Measure for the same topology on every call.
//
// # Searcher
//
// A Searcher takes the steps in memory with a trainfree.BatchEvaluator; Run
// adds the run directory, and package flow drives the same Searcher inside a
// Temporal workflow. WriteRun turns a workflow's records and final
// checkpoint into the run directory Run would have left.
//
// # Run directory
//
// [Run] keeps config.json, log.jsonl (one [StepRecord] per step),
// checkpoint and result.json in Config.Dir through package runs; the
// checkpoint holds the logits, Adam's moments, the baseline, the reward
// history, the cache and the PCG state, so a resumed run is bit-identical to
// an uninterrupted one. [Plot] redraws the figure from the log.
package search
