// Package vit describes the As-ViT family of vision transformers: topology
// strings, the search space, the geometry of a network on a given input,
// its parameter and multiply-accumulate counts, its parameter table in the
// authors' PyTorch layout, and its initial weights. It builds no graphs and
// runs nothing; a graph builder reads every shape from a Model.
//
// # Topologies
//
// A Topology has four stages (kernel K, split S, FFN expansion E, depth L),
// the heads H of the last stage and the initial hidden size C. Parse reads
// the seed form "8,2,3|4,1,2|4,1,4|4,1,6|32" (depths 1, C = 32) and the
// scaled form "8,2,3,5|4,1,2,2|4,1,4,5|4,1,6,2|32,180"; String writes the
// shorter one that applies. Stage i (from 0) has width d_i = min(1024, C·2^i)
// and H/2^(3-i) heads; Topology.Widths gives the derived sizes.
//
// # Search space
//
// Twelve categorical choices, in the authors' order K1, K2, K3, K4, S1, S2,
// S3, E1, E2, E3, E4, H (S4 is fixed to 1), give SpaceSize() = 4,556,250
// seed topologies. IndexOf and FromIndex map them to and from 0..size-1;
// Sample draws one uniformly.
//
// # Geometry
//
// A Spec adds the input (image side, channels), the classes and the patch
// embedding's stride and dilation. New validates it and returns a Model.
// The stage-1 resolution is Image/stride and each re-embedding halves it,
// both rounded down; windows must tile each map exactly (see New).
//
// # Counts
//
// Model.Costs counts parameters and multiply-accumulates per stage as the
// authors' counter does: convolutions, linear layers and the two attention
// matmuls (plus the counter's conv-bias and token-mean terms); norms,
// softmax, GELU and adds are free. The seed at 224 px with 1000 classes has
// 2,319,624 parameters and 491,595,264 MACs.
//
// # Parameters
//
// Model.ParamTable names every tensor as the authors' state_dict does, in
// PyTorch layout and in state_dict order. Model.Init draws them: Linear
// weights truncated normal (std 0.02), biases 0, LayerNorm 1 and 0, and the
// patch convolution uniform in ±1/sqrt(fan_in). Each parameter has its own
// PCG stream seeded from (seed, index), so the draw is deterministic.
package vit
