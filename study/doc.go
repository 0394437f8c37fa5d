// Package study measures how well training-free proxies predict the
// accuracy a topology reaches when trained: the evidence behind As-ViT's
// claim that κ and L^E pick better networks than chance or counting FLOPs.
//
// # What a study does
//
// Candidates draws Config.N distinct topologies uniformly from the search
// space restricted to those valid at the image size (rejection sampling
// from Config.Seed) and appends the given ones (Config.Archs, say a
// searched seed). Each is measured at initialisation: parameters, FLOPs,
// κ and L^E (package complexity, averaged over Config.Repeat draws of the
// weights) and the baseline proxies of package proxies (grad_norm, snip,
// synflow, NASWOT, DSS) on the weights of κ's first draw, all on one probe
// batch of the training split. Then each is trained once per training seed
// with one budget (package train: AdamW, the default recipe, at full
// resolution unless Config.Retoken says otherwise), the exported epoch
// chosen on a validation split held out from the training data, and its
// validation and test accuracy recorded.
//
// # Statistics
//
// Summarize works on the drawn topologies only, with each one's accuracy
// the mean over its training seeds. For every Proxy, with Sign making
// "higher predicts better", it gives Kendall's τ-b and Spearman's ρ against
// validation and test accuracy, each with a 95% percentile-bootstrap
// interval (Config.Bootstrap paired resamples, seeded), and the accuracy
// and percentile of the topology the proxy ranks first. A non-finite proxy
// value (a bad network's κ) ranks last. AsViTRank is the rank of κ
// (ascending) plus the rank of L^E (descending), average ranks for ties,
// as scaling compares candidates. With two or more training seeds, Noise
// gives τ between the first two seeds' accuracies: roughly the best τ any
// proxy can reach on the budget. Given topologies are placed among the
// drawn by test accuracy, overall and among those with no more FLOPs.
//
// # Run directory
//
// Run keeps config.json, log.jsonl (one record per measurement or
// training) and the checkpoint through package runs, and each training in
// train/NNN-sSEED. A killed study loses only the work in flight, and a
// training in flight continues from its own checkpoint; the result equals
// an uninterrupted study's. Measurements run one at a time with every
// thread; trainings run Config.Jobs at a time with an equal share.
// WriteReport (also on an unfinished study) writes results.csv, one row per
// topology, summary.json, scatter.png and tau.png. WriteRun logs the rows
// of a study that ran elsewhere (package flow's Correlate workflow) into a
// run directory and writes its report.
package study
