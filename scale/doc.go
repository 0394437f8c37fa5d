// Package scale grows a searched As-ViT topology into a large model by
// training-free measures (§5 of the spec).
//
// # Growth
//
// The measured model starts as Config.Arch with depths [1,1,1,1] and hidden
// size 8. Each step lists up to 16 candidates: one more block in one of the
// four stages, times a width growth by one of Config.Ratios ({5, 10, 15,
// 20}%). The new hidden size is round(hidden·(1+r)), rounding half to even
// as Python's round does, and a ratio that gives the same width as the
// previous one is skipped (at hidden 8, 5% keeps 8 and 15% repeats 9).
// Candidates are listed stage by stage, ratio by ratio, as the authors do.
//
// A candidate's parameters and MACs are those of the built model, Config.
// WidthFactor (4) times wider, with Config.Classes (1000) classes at
// Config.Image (224); candidates over Config.LimitParams (110M) are dropped
// and not measured. The others are measured as they are (narrow), which
// keeps the measures cheap.
//
// # Choice
//
// κ is ranked ascending and L^E descending. Equal values share a rank and
// the next value takes the next rank: dense ranking, which is what the
// authors' code does (their loop gives an equal value the previous rank and
// a new value the previous rank plus one), rather than scipy's "min". Bad
// networks and non-finite values rank last in their measure. The lowest
// rank sum wins. A tie on the sum goes to the measure whose relative range
// (max - min)/max over the step's measured candidates is larger (κ when the
// ranges are equal), and within it to the best value: lowest κ, highest
// L^E. The authors' code compares only the first two tied candidates and
// always takes the smaller value, the worse one for L^E; we fix that.
//
// # Stop
//
// The run stops once the chosen model has at least Config.StopParams
// (80M) parameters, or when every candidate is over the limit (Result.Stop
// says which). Every step's chosen model is one [Member] of the series,
// with its built topology in scaled form, parameters, MACs and measures.
//
// # Scaler
//
// A Scaler takes the steps in memory; each step's candidates go to a
// trainfree.BatchEvaluator together, so that package flow measures them at
// the same time on many machines. Run adds the run directory; WriteRun turns
// a workflow's step records and result into it.
//
// # Run directory
//
// [Run] keeps config.json, log.jsonl (one [StepRecord] per step, with every
// candidate and the choice), checkpoint and result.json in Config.Dir
// through package runs. There is no random state: given an evaluator that
// returns the same Measure for the same topology, a resumed run ends as an
// uninterrupted one. [Plot] redraws the paper's Figure 3 from the log.
//
// The [trainfree.Evaluator] and [trainfree.Measure] are package
// trainfree's, so that one evaluator serves both pipelines.
package scale
