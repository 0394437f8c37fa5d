// Package complexity computes the two training-free measures of an As-ViT
// topology at initialisation: the condition number κ of its neural tangent
// kernel and its length distortion L^E. Search and scaling rank candidates by
// them, so they are computed often and must be both faithful and cheap.
//
// # The measures
//
// κ: with every LayerNorm on, take the batch of B images of the Probe; for
// each sample b let g_b be the gradient of Σ features[b] with respect to every
// parameter marked NTK in vit.Model.ParamTable (the weights, without the
// final norm and the head, which the features do not reach). Θ = G·Gᵀ is
// B×B, and κ = λmax/λmin with the eigenvalues computed by Gonum in float64.
//
// L^E: with every LayerNorm replaced by the identity, follow the circle
// x(θ) = r(u0 cos θ + u1 sin θ) through input space at θ_k = linspace(0, 2π,
// n), both ends included, and sum (not average) the speeds
// ‖∂features(x(θ_k))/∂θ‖₂ over the n points. The radius r is 1 as in the
// authors' code, or √N (N = C·R·R) as in the paper's formula (Radius).
//
// Both are averaged over Settings.Repeat initialisations.
//
// # Probe and weights
//
// As the authors do, a run draws the κ batch and one curve basis per repeat
// once (NewProbe) and feeds them to every candidate; only the weights change.
// The weights of repeat r of a topology are vit.Model.InitInto's, seeded from
// (Settings.Seed, the topology's canonical string, r), so a result depends
// only on the settings, the probe and the topology. MeasureWeights measures
// given weights (LoadWeights reads them from an ONNX model) instead.
//
// # How it stays cheap
//
// Method Fast builds one graph per topology with the parameters as inputs,
// shared by two branches: the κ branch (LayerNorms on) ends in
// graphgen.PerSampleGram, Θ from one forward and one backward pass over the
// batch; the L^E branch (LayerNorms off) ends in one forward-mode
// graphgen.JVP over all n curve points, with the analytic tangent
// dx/dθ = r(−u0 sin θ + u1 cos θ). One ONNX Runtime session runs both; each
// repeat only draws weights in Go straight into the session's input tensors
// and runs once. Built sessions are kept in a cache of Settings.CacheSize
// topologies, least recently used evicted and destroyed first.
//
// Method BruteForce is the reference, the authors' way: one backward pass
// per sample (a one-hot seed on its features) for κ, with Θ = G·Gᵀ summed in
// float64 here, and one backward pass per feature coordinate for L^E, each
// point's input gradient dotted with its tangent here. Tests and benchmarks
// compare the two.
//
// # Bad networks
//
// A repeat whose κ is not finite marks the Result as Bad. Because Θ is
// positive semi-definite, a computed λmin ≤ 0 means a singular Θ blurred by
// float32 rounding; its κ is taken as +Inf and the network is bad. The
// authors' code would instead report the negative ratio λmax/λmin, which
// their search then treats as an excellent κ; a NaN κ, which they record as
// −1, is likewise bad here. L^E is reported as computed, even when it is not
// finite.
package complexity
