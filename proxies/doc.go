// Package proxies computes the published zero-cost proxies of an As-ViT
// network at initialisation (grad_norm, SNIP, synflow, NASWOT and TF-TAS's
// DSS), so that they can be compared with κ and L^E (package complexity).
// For each, a higher score predicts a better accuracy.
//
// # How they are computed
//
// Measure builds one graph with the parameters as inputs and two branches,
// runs it once in one ONNX Runtime session (float32) and reduces what it
// returns in Go, in float64:
//
//   - the data branch runs the network, every LayerNorm on, on the probe
//     batch (Input): the mean cross-entropy L, ∂L/∂W for every weight W, and
//     the input of every GELU;
//   - the linearised branch runs it, every LayerNorm on, with every
//     parameter θ replaced by |θ| (biases and LayerNorm parameters too) on
//     one all-ones image [1, C, R, R]: R = Σ logits and ∂R/∂|W| for every W.
//
// The weights W are the rank ≥ 2 parameters of vit.Model.ParamTable: the
// patch convolution, every attention qkv and proj, every FFN fc1 and fc2,
// the re-embeddings' reductions and the head's two linears. They are the
// Conv2d and Linear weights that zero-cost-nas scores
// (p_utils.get_layer_metric_array); biases and norms are not scored.
//
// Gradients come from graphgen.VJP. The tests check the run against the
// float64 evaluator (graphgen/eval) and central differences.
//
// # grad_norm
//
// Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021
// (github.com/mohsaied/zero-cost-nas, measures/grad_norm.py):
//
//	grad_norm = Σ_W ‖∂L/∂W‖_F,   L = (1/N) Σ_n −log softmax(z_n)[y_n]
//
// the sum of the per-tensor Frobenius norms (their measure returns one
// weight.grad.norm() per layer and find_measures adds them up), with
// F.cross_entropy's mean and no label smoothing.
//
// # SNIP
//
// Lee et al., ICLR 2019, as in zero-cost-nas measures/snip.py, where the
// gradient of a mask of ones that multiplies each weight is W ⊙ ∂L/∂W:
//
//	snip = Σ_W Σ_i |W_i · ∂L/∂W_i|
//
// on the same L and gradients as grad_norm.
//
// # synflow
//
// Tanaka et al., "Pruning neural networks without any data by iteratively
// conserving synaptic flow", NeurIPS 2020, as in zero-cost-nas
// measures/synflow.py: every parameter replaced by its absolute value, one
// all-ones input, R = Σ logits, and
//
//	synflow = Σ_W Σ_i | |W_i| · ∂R/∂|W_i| |
//
// (their torch.abs(weight·grad); the attention's softmax can make a
// gradient negative). Attention softmax is kept.
//
// LayerNorm is kept. Their code (measure "synflow", bn=False) replaces only
// BatchNorm1d/2d modules by the identity, so on a ViT it runs with its
// LayerNorms, as TF-TAS's DSS (below) does. Removing
// them (the path-norm reading of the paper) degenerates on As-ViT, whose
// head is Linear → Tanh → Linear: with |θ| and no norms the seed's pooled
// features reach about 5·10⁹ at 32 px (6·10⁵⁹ for
// 8,2,3,5|4,1,2,2|4,1,4,5|4,1,6,2|32,180), the Tanh saturates, 1 − tanh²
// rounds to exactly 0 in float32 and in float64, and every weight before
// the head gets a zero gradient; in float32 the larger networks also
// overflow to Inf and 0·Inf gives NaN.
//
// Precision: their code calls net.double(). ONNX Runtime's CPU provider
// has no float64 Conv or Erf kernel (a float64 As-ViT graph is refused:
// "Could not find an implementation for Conv(11)"), so the branch runs in
// float32. With the LayerNorms on nothing comes near float32's range (the
// seed at 32 px scores about 6·10², the 32-million-parameter
// 8,2,3,3|4,1,2,2|4,1,4,3|4,1,6,2|32,96 about 7·10³), so synflow is
// reported as the plain sum, not its log.
//
// # NASWOT
//
// Mellor et al., "Neural Architecture Search without Training", ICML 2021.
// Each image n gets a binary code c_n with one bit per unit of every GELU
// input (the FFN's fc1 output, every token and hidden unit of every block,
// concatenated), set when the pre-activation is > 0, as their ReLU hooks
// and TF-TAS's GELU hook do. Then
//
//	K_H = c·cᵀ + (1−c)·(1−c)ᵀ   (N×N: the units on which two codes agree)
//	naswot = log|det K_H|
//
// from an LU factorisation in float64 (numpy's slogdet), −Inf when K_H is
// singular (two images with the same code). It uses the data branch: the
// given weights, LayerNorms on, the probe images; the labels are unused.
// TF-TAS's own NASWOT variant redraws the weights from N(0, 1) and feeds
// random images; this one keeps Mellor's definition.
//
// # DSS
//
// Zhou et al., "Training-free Transformer Architecture Search", CVPR 2022
// (github.com/decemberzhou/TF_TAS, lib/training_free/indicators/dss.py):
// the DSS-indicator is the synaptic diversity of the multi-head attention
// plus the synaptic saliency of the MLPs, on synflow's linearised network
// (every parameter |θ|, one all-ones image, R = Σ logits, LayerNorms kept:
// their bn=False touches BatchNorm only), so it reuses the linearised
// branch:
//
//	dss = Σ_{W ∈ attn qkv, proj} ‖∂R/∂|W|‖_* · ‖|W|‖_*
//	    + Σ_{W ∈ FFN fc1, fc2}   Σ_i | |W_i| · ∂R/∂|W_i| |
//
// with ‖·‖_* the nuclear norm (sum of singular values, Gonum's SVD in
// float64) of the [out, in] matrix; like theirs, it is the norm of the
// linearised weight |W|, not of W. In their AutoFormer search (run with
// --change_qkv) the diversity branch catches the qkv_super layers and the
// square Linear layers, i.e. the attention proj; here the families are
// chosen by ParamTable name (layers.i.blocks.j.attn.qkv/proj and
// mlps.0.1.fc1/fc2), since As-ViT's proj is [d, heads·head_dim]. Their
// layer list also adds the 1000-way classifier's saliency, twice (it
// appends every sampled Linear, then again every Linear with 1000 outputs);
// following the paper's equation, the head is not counted here, nor are the
// re-embeddings' reductions or the patch embedding (their patch-embedding
// branch is unreachable, as their list holds only Linear modules). Their
// code runs in float32, as this does.
//
// # Cost
//
// The graph has about 2,100 nodes for the seed topology, and creating its
// session dominates. At 32 px with a batch of 16, one Measure of the seed
// takes 0.6–1.1 s on one thread of the project's 2-core machine, loaded by
// other jobs (BenchmarkMeasure); Options.OptLevel = ort.OptDisable cuts the
// session's creation and brought it to about 0.4 s.
package proxies
