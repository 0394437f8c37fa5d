#!/usr/bin/python3
"""PyTorch parity fixture for asvit.

This script re-derives the authors' As-ViT model (github.com/VITA-Group/AsViT,
lib/models/cell_infers/transformer.py and lib/models/cell_operations.py) and
their two training-free measures (lib/procedures/ntk.py and the curve
complexity of lib/procedures/teg.py) in PyTorch, as ../shared/ASVIT.md
restates them, and writes the fixture that the Go tests
TestTorchParity (package vit: logits and pooled features, norms on and off)
and TestTorchParityMeasures (package complexity: kappa and L^E) compare
against. CI does not need torch: only this script does, and it is run by
hand.

Regenerate the fixture from the repository root (Debian 12):

    apt-get install -y python3-torch python3-numpy python3-onnx
    /usr/bin/python3 scripts/parity/asvit_torch.py

It needs Go on the PATH: it builds ./cli/asvit and runs `asvit export` for
every case, so the weights are the ones Go's vit.Model.Init draws, named as
the exported model's initializers (which must equal this module's
state_dict names and shapes). Cases marked "perturbed" then scale the Linear
weights and draw random biases and LayerNorm parameters, so that the
attention softmax is far from uniform and every bias and affine parameter
matters. It rewrites vit/testdata/parity/ (about 1.7 MB):

    manifest.json            the cases: topology, input, patch stride and
                             dilation, parameter names and shapes in
                             state_dict order, expected kappa, its extreme
                             eigenvalues and L^E (float64, radius 1 and sqrt N)
    <case>.weights.npy       every parameter, flattened and concatenated in
                             state_dict order (float32)
    <case>.input.npy         B x C x R x R inputs; also the kappa batch
    <case>.logits.npy        B x classes, LayerNorms on
    <case>.logits_nonorm.npy B x classes, every LayerNorm the identity
    <case>.features.npy      B x nf, the mean of the last stage's tokens
                             before the final norm, LayerNorms on
    <case>.features_nonorm.npy
    <case>.basis.npy         N x 2, the orthonormal curve basis u0, u1

Everything is computed in float64 from the float32 weights and inputs, so
the expected values carry no rounding of their own beyond the final cast
of the outputs to float32; the Go tests run float32 graphs in ONNX Runtime
and state their tolerances.

The re-derivation follows the authors' code with the same extensions as
asvit (see vit.New): a patch dilation (progressive re-tokenization) with
padding (g//2, (g+1)//2), g = max(0, span - stride), and resolutions taken
from the actual output sizes rather than asserted even.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "vit", "testdata", "parity")

LN_EPS = 1e-5
BATCH = 4  # images per case: forward inputs and the kappa batch
CURVE_POINTS = 10  # the authors' n
EXPORT_IMAGE = 32  # parameter shapes do not depend on the input size

# The cases: topologies in the scaled form K,S,E,L|...|H,C.
CASES = [
    # The realistic one: the weights exactly as Init draws them, the
    # authors' patch embedding (stride 4), K1 = 8 padded (2, 2), windows in
    # stage 1, overlapping re-embeddings (K = 4, 3) and a plain one (K = 2).
    dict(name="c8_rgb32_init", arch="8,2,3,1|4,1,2,1|3,1,4,1|2,1,2,1|32,8",
         image=32, channels=3, classes=10, stride=4, dilation=1, seed=11,
         perturbed=False, measures=True),
    # Gray input, depths 2, windows in three stages (4x4 windows of 2x2,
    # 2x2 of 2x2, 2x2 of 1x1).
    dict(name="c8_gray32_deep_windows", arch="6,4,2,2|3,2,3,2|2,2,2,1|2,1,2,1|16,8",
         image=32, channels=1, classes=5, stride=4, dilation=1, seed=12,
         perturbed=True, measures=True),
    # Hidden 10 with 32 heads: head_dim 2 and inner = 2 h_i < d_i, so qkv
    # and proj are not square; depth 2 in stage 3; K1 = 4 unpadded.
    dict(name="c10_rgb32_inner", arch="4,2,2,1|2,2,2,1|3,1,2,2|2,1,2,1|32,10",
         image=32, channels=3, classes=7, stride=4, dilation=1, seed=13,
         perturbed=True, measures=True),
    # Hidden 12 at 16 px with the patch embedding at stride 2, dilation 2
    # (span 9, padding (3, 4)): re-tokenization's geometry. The measures
    # only take the default patch embedding, so this case checks the
    # forward pass alone.
    dict(name="c12_gray16_stride2_dilation2", arch="5,2,2,1|3,1,2,1|2,1,2,1|2,1,2,1|16,12",
         image=16, channels=1, classes=5, stride=2, dilation=2, seed=14,
         perturbed=True, measures=False),
]

# Perturbation of the "perturbed" cases (see perturb).
LINEAR_SCALE = 8.0  # Init's std 0.02 becomes 0.16
BIAS_STD = 0.1
NORM_STD = 0.1


# ---------------------------------------------------------------- topology


def parse_arch(s):
    """Parses the scaled form into per-stage (K, S, E, L) and (H, C)."""
    parts = s.split("|")
    if len(parts) != 5:
        raise ValueError(f"arch {s!r}: want 5 parts")
    stages = [tuple(int(v) for v in p.split(",")) for p in parts[:4]]
    heads, hidden = (int(v) for v in parts[4].split(","))
    return stages, heads, hidden


# ------------------------------------------------------------------- model


class Norm(nn.Module):
    """A LayerNorm that the model can switch to the identity (the authors'
    switch_norm('id')) while keeping its parameters in the state_dict."""

    def __init__(self, dim, model):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self._model = [model]  # a list: not a submodule

    def forward(self, x):
        if not self._model[0].norms:
            return x
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, LN_EPS)


class PatchEmbed(nn.Module):
    """Zero padding, the conv (kernel K1, stride, dilation), tokens, norm."""

    def __init__(self, root, channels, dim, kernel, stride, dilation):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel, stride=stride, dilation=dilation)
        self.norm = Norm(dim, root)
        span = dilation * (kernel - 1) + 1
        gap = max(0, span - stride)  # (K1-4) at stride 4, dilation 1
        self.pad = (gap // 2, (gap + 1) // 2)

    def forward(self, x):
        b0, b1 = self.pad
        y = self.proj(F.pad(x, (b0, b1, b0, b1)))
        res = y.shape[-1]
        return self.norm(y.flatten(2).transpose(1, 2)), res


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # the exact erf form
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    """Multi-head self-attention over the tokens of each window."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        inner = self.head_dim * heads
        self.qkv = nn.Linear(dim, 3 * inner)
        self.proj = nn.Linear(inner, dim)

    def forward(self, x):
        bw, n, _ = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each bw x heads x n x head_dim
        attn = torch.softmax((q * self.head_dim ** -0.5) @ k.transpose(-2, -1), dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(bw, n, self.heads * self.head_dim)
        return self.proj(out)


def windows_of(x, res, w):
    """B x res x res x C maps to (B * windows) x w*w x C, window-major in
    each sample, windows in row-major order."""
    b, _, _, c = x.shape
    n = res // w
    x = x.reshape(b, n, w, n, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * n * n, w * w, c)


def maps_of(win, res, w, b):
    """The inverse of windows_of: B x res*res x C tokens."""
    n = res // w
    c = win.shape[-1]
    x = win.reshape(b, n, n, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, res * res, c)


class Block(nn.Module):
    def __init__(self, root, dim, heads, ffn_hidden, split):
        super().__init__()
        self.split = split
        self.norm1 = Norm(dim, root)
        self.attn = Attention(dim, heads)
        self.mlps = nn.ModuleList([nn.Sequential(Norm(dim, root), Mlp(dim, ffn_hidden))])

    def forward(self, x, res):
        b, _, c = x.shape
        w = res // self.split
        if w <= 0 or res <= w:
            w = res  # one window covers the map
        if res % w:
            raise ValueError(f"windows of {w} do not tile resolution {res}")
        h = self.norm1(x).reshape(b, res, res, c)
        x = x + maps_of(self.attn(windows_of(h, res, w)), res, w, b)
        for mlp in self.mlps:
            x = x + mlp(x)
        return x


class Reembed(nn.Module):
    """Tokens back to a map, zero padding ((K-2)//2, (K-1)//2), unfold with
    kernel K and stride 2 (features c*K*K + kh*K + kw), norm, reduction.
    reduction is declared before norm, which fixes the state_dict order."""

    def __init__(self, root, dim, out, kernel):
        super().__init__()
        self.kernel = kernel
        self.reduction = nn.Linear(kernel * kernel * dim, out, bias=False)
        self.norm = Norm(kernel * kernel * dim, root)

    def forward(self, x, res):
        b, _, c = x.shape
        k = self.kernel
        m = x.transpose(1, 2).reshape(b, c, res, res)
        p0, p1 = (k - 2) // 2, (k - 1) // 2
        m = F.pad(m, (p0, p1, p0, p1))
        cols = F.unfold(m, kernel_size=k, stride=2)  # b x c*k*k x L
        new_res = (res + p0 + p1 - k) // 2 + 1
        assert cols.shape[-1] == new_res * new_res
        return self.reduction(self.norm(cols.transpose(1, 2))), new_res


class Stage(nn.Module):
    """One of the authors' BasicLayers: the blocks, then the re-embedding
    into the next stage (None after the last)."""

    def __init__(self, blocks, downsample):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.downsample = downsample


class AsViT(nn.Module):
    def __init__(self, arch, channels, classes, stride=4, dilation=1):
        super().__init__()
        self.norms = True
        stages, heads_last, hidden = parse_arch(arch)
        dims = [min(1024, hidden * 2 ** i) for i in range(4)]
        heads = [heads_last // 2 ** (3 - i) for i in range(4)]
        self.patch_embed = PatchEmbed(self, channels, dims[0], stages[0][0], stride, dilation)
        self.layers = nn.ModuleList()
        for i, (_, split, exp, depth) in enumerate(stages):
            blocks = [Block(self, dims[i], heads[i], int(dims[i] * exp), split) for _ in range(depth)]
            down = None
            if i < 3:
                down = Reembed(self, dims[i], min(1024, 2 * dims[i]), stages[i + 1][0])
            self.layers.append(Stage(blocks, down))
        nf = min(1024, hidden * 8)
        self.norm = Norm(nf, self)
        self.head = nn.Sequential(nn.Linear(nf, nf), nn.Tanh(), nn.Linear(nf, classes))

    def tokens(self, x):
        x, res = self.patch_embed(x)
        for layer in self.layers:
            for blk in layer.blocks:
                x = blk(x, res)
            if layer.downsample is not None:
                x, res = layer.downsample(x, res)
        return x

    def forward(self, x):
        """Returns (logits, features): the head on the mean of the normed
        tokens, and the mean of the tokens before the final norm."""
        t = self.tokens(x)
        return self.head(self.norm(t).mean(1)), t.mean(1)


# ----------------------------------------------------------------- weights


def export_weights(asvit, case, tmp):
    """Runs `asvit export` and returns its float32 initializers by name."""
    path = os.path.join(tmp, case["name"] + ".onnx")
    subprocess.run([asvit, "export", "--arch", case["arch"], "--img", str(EXPORT_IMAGE),
                    "--channels", str(case["channels"]), "--classes", str(case["classes"]),
                    "--seed", str(case["seed"]), "--out", path],
                   check=True, stdout=subprocess.DEVNULL)
    model = onnx.load(path)
    return {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer
            if t.data_type == onnx.TensorProto.FLOAT}


def perturb(weights, seed):
    """Scales the Linear weights and draws biases and LayerNorm parameters,
    in state_dict order, from a seeded generator; the conv weight stays."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in weights.items():
        if name.endswith(".bias"):
            w = rng.normal(0.0, BIAS_STD, w.shape)
        elif w.ndim == 1:  # a LayerNorm weight
            w = 1.0 + rng.normal(0.0, NORM_STD, w.shape)
        elif w.ndim == 2:  # a Linear weight
            w = w * LINEAR_SCALE
        out[name] = np.asarray(w, dtype=np.float32)
    return out


def load(model, weights):
    """Loads float32 weights by state_dict name, checking names and shapes."""
    sd = model.state_dict()
    if set(sd) != set(weights):
        raise SystemExit(f"names differ: {sorted(set(sd) ^ set(weights))}")
    for name, t in sd.items():
        if tuple(t.shape) != weights[name].shape:
            raise SystemExit(f"{name}: shape {tuple(t.shape)} here, {weights[name].shape} exported")
    model.load_state_dict({n: torch.from_numpy(weights[n].astype(np.float64)) for n in sd})


# ---------------------------------------------------------------- measures


def ntk_condition(model, x):
    """The authors' kappa: one backward pass per sample of sum(features[b]),
    the gradients of every parameter whose name contains "weight" and that
    receives one, Theta = G G^T, kappa = lambda_max / lambda_min."""
    model.norms = True
    model.zero_grad(set_to_none=True)
    _, feats = model(x)
    rows = []
    for b in range(x.shape[0]):
        feats[b:b + 1].backward(torch.ones_like(feats[b:b + 1]), retain_graph=True)
        g = [p.grad.reshape(-1).clone() for n, p in model.named_parameters()
             if "weight" in n and p.grad is not None]
        rows.append(torch.cat(g))
        model.zero_grad(set_to_none=True)
    grads = torch.stack(rows).double()
    theta = (grads @ grads.T).numpy()
    eig = np.linalg.eigvalsh(theta)  # ascending
    return float(eig[-1] / eig[0]), float(eig[0]), float(eig[-1])


def length_distortion(model, basis, n, radius, channels, image):
    """The authors' L^E: LayerNorms off, x(theta) = r (u0 cos + u1 sin) at
    theta = linspace(0, 2 pi, n), one backward pass per feature coordinate
    for d features / d theta, the speeds summed over the n points."""
    model.norms = False
    theta = torch.linspace(0, 2 * math.pi, n, dtype=basis.dtype, requires_grad=True)
    x = radius * (basis @ torch.stack([torch.cos(theta), torch.sin(theta)]))
    x = x.T.reshape(n, channels, image, image)
    _, feats = model(x)
    cols = []
    for c in range(feats.shape[1]):
        (g,) = torch.autograd.grad(feats[:, c].sum(), theta, retain_graph=True)
        cols.append(g)
    jac = torch.stack(cols, 1)  # n x nf
    model.norms = True
    return float(jac.norm(dim=1).sum())


# -------------------------------------------------------------------- main


def orthonormal_basis(rng, n):
    """u0, u1: the left singular vectors of an n x 2 Gaussian matrix (as
    the authors' torch.svd(torch.randn(N, 2))[0]), cast to float32."""
    u, _, _ = np.linalg.svd(rng.standard_normal((n, 2)), full_matrices=False)
    return u.astype(np.float32)


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def run_case(asvit, case, tmp):
    name = case["name"]
    exported = export_weights(asvit, case, tmp)
    model = AsViT(case["arch"], case["channels"], case["classes"], case["stride"], case["dilation"])
    model.double()
    # Order the exported tensors as the state_dict, then check.
    order = list(model.state_dict())
    # The export also holds the graph's own constants, named by scope
    # ("layers.0.blocks.0/mlp/Const_0"); every other initializer must be a
    # parameter of the state_dict, and every parameter must be there.
    params = {n for n in exported if "/" not in n}
    if params != set(order):
        raise SystemExit(f"{name}: exported parameters and the state_dict differ in {sorted(params ^ set(order))}")
    weights = {n: exported[n] for n in order}
    if case["perturbed"]:
        weights = perturb(weights, case["seed"])
    load(model, weights)

    rng = np.random.default_rng(1000 + case["seed"])
    c, r = case["channels"], case["image"]
    x32 = rng.standard_normal((BATCH, c, r, r)).astype(np.float32)
    x = torch.from_numpy(x32.astype(np.float64))
    outs = {}
    with torch.no_grad():
        for norms in (True, False):
            model.norms = norms
            logits, feats = model(x)
            sfx = "" if norms else "_nonorm"
            outs["logits" + sfx] = logits.numpy()
            outs["features" + sfx] = feats.numpy()
    model.norms = True

    save(f"{name}.weights.npy", np.concatenate([w.reshape(-1) for w in weights.values()]))
    save(f"{name}.input.npy", x32)
    for k, v in outs.items():
        save(f"{name}.{k}.npy", v)
    entry = dict(name=name, arch=case["arch"], image=r, channels=c, classes=case["classes"],
                 patch_stride=case["stride"], patch_dilation=case["dilation"],
                 export_seed=case["seed"], perturbed=case["perturbed"], batch=BATCH,
                 params=[dict(name=n, shape=list(w.shape)) for n, w in weights.items()])
    # The same model in float32, the authors' precision, for scale: how far
    # its outputs fall from the float64 ones.
    m32 = AsViT(case["arch"], c, case["classes"], case["stride"], case["dilation"])
    m32.load_state_dict({k: torch.from_numpy(np.array(w)) for k, w in weights.items()})
    print(f"{name}: {sum(w.size for w in weights.values())} parameters")
    with torch.no_grad():
        for norms in (True, False):
            m32.norms = norms
            sfx = "" if norms else "_nonorm"
            for k, v in zip(("logits", "features"), m32(torch.from_numpy(x32))):
                want = outs[k + sfx]
                err = np.abs(v.numpy().astype(np.float64) - want).max() / np.abs(want).max()
                print(f"  {k + sfx:16s} max |want| {np.abs(want).max():9.3g}, float32 torch rel {err:.2e}")
    m32.norms = True
    if not case["measures"]:
        return entry

    n = c * r * r
    basis32 = orthonormal_basis(rng, n)
    save(f"{name}.basis.npy", basis32)
    basis = torch.from_numpy(basis32.astype(np.float64))
    kappa, lmin, lmax = ntk_condition(model, x)
    entry.update(curve_points=CURVE_POINTS, kappa=kappa, lambda_min=lmin, lambda_max=lmax,
                 length_distortion=length_distortion(model, basis, CURVE_POINTS, 1.0, c, r),
                 length_distortion_sqrt_n=length_distortion(model, basis, CURVE_POINTS, math.sqrt(n), c, r))
    # The same measures in float32, for scale.
    k32, _, _ = ntk_condition(m32, torch.from_numpy(x32))
    le32 = length_distortion(m32, torch.from_numpy(basis32), CURVE_POINTS, 1.0, c, r)
    print(f"  kappa {kappa:.10g} (float32 torch: rel {abs(k32 - kappa) / kappa:.2e}), "
          f"lambda [{lmin:.6g}, {lmax:.6g}], L^E {entry['length_distortion']:.10g} "
          f"(float32 torch: rel {abs(le32 - entry['length_distortion']) / entry['length_distortion']:.2e}), "
          f"L^E sqrt-n {entry['length_distortion_sqrt_n']:.10g}")
    return entry


def main():
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tmp = tempfile.mkdtemp(prefix="asvit-parity-")
    try:
        asvit = os.path.join(tmp, "asvit")
        subprocess.run(["go", "build", "-o", asvit, "./cli/asvit"], cwd=ROOT, check=True)
        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        os.makedirs(OUT)
        entries = [run_case(asvit, case, tmp) for case in CASES]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = dict(
        generator="scripts/parity/asvit_torch.py",
        torch=torch.__version__,
        layer_norm_eps=LN_EPS,
        perturbation=dict(linear_scale=LINEAR_SCALE, bias_std=BIAS_STD, norm_std=NORM_STD),
        cases=entries,
    )
    text = json.dumps(manifest, indent=1)

    def one_line(m):  # {"name": ..., "shape": [...]} on one line
        dims = ", ".join(d.strip() for d in m.group(2).split(","))
        return '{"name": %s, "shape": [%s]}' % (m.group(1), dims)

    text = re.sub(r'\{\s*"name": ("[^"]*"),\s*"shape": \[([\d,\s]*)\]\s*\}', one_line, text)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        f.write(text + "\n")
    size = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
    print(f"wrote {OUT}: {len(os.listdir(OUT))} files, {size} bytes")


if __name__ == "__main__":
    sys.exit(main())
