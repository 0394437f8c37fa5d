#!/usr/bin/python3
"""κ and L^E of one topology at initialisation in PyTorch, the baseline of
`asvit complexity` as a whole process (README "Performance").

The model is scripts/parity/asvit_torch.py's re-derivation of the authors'
As-ViT. --method picks how the derivatives are taken:

    loop       the authors' way: one backward pass per κ sample over the
               retained graph, one per feature coordinate for L^E
               (asvit_torch.ntk_condition and length_distortion)
    functorch  per-sample gradients with functorch.vmap(grad) in one call,
               and L^E from one forward-mode functorch.jvp over the curve

The κ batch is random here (asvit draws real images), so the values differ
from asvit's; the work is the same. Time the whole process, as a user
would run it:

    apt-get install -y python3-torch libopenblas0-pthread  # the reference BLAS is 4x slower
    /usr/bin/time -f %e /usr/bin/python3 scripts/bench-torch-measure.py \\
        --arch '8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32' --img 64 --method functorch

It prints one JSON object with κ, L^E and the seconds spent measuring
(after import and model construction).
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity"))
from asvit_torch import AsViT, length_distortion, ntk_condition  # noqa: E402


def functorch_measures(model, x, basis, n, channels, image):
    """κ from vmap(grad) per-sample gradients of Σ features[b] with respect
    to every parameter named "weight"; L^E from one forward-mode JVP of the
    features along the circle (radius 1), LayerNorms off."""
    import functorch

    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach() for p in model.parameters())
    fmodel, _ = functorch.make_functional(model)
    picked = [i for i, name in enumerate(names) if "weight" in name and not name.startswith(("norm.", "head."))]

    def y(ps, xb):
        _, feats = fmodel(ps, xb.unsqueeze(0))
        return feats.sum()

    net = fmodel.stateless_model  # make_functional's copy; its norms switch is its own
    net.norms = True
    per_sample = functorch.vmap(functorch.grad(y), in_dims=(None, 0))(params, x)
    g = torch.cat([per_sample[i].reshape(x.shape[0], -1) for i in picked], 1).double()
    eig = np.linalg.eigvalsh((g @ g.T).numpy())
    kappa = float(eig[-1] / eig[0])

    net.norms = False
    theta = torch.linspace(0, 2 * math.pi, n, dtype=basis.dtype)
    points = (basis @ torch.stack([torch.cos(theta), torch.sin(theta)])).T.reshape(n, channels, image, image)
    tangents = (basis @ torch.stack([-torch.sin(theta), torch.cos(theta)])).T.reshape(n, channels, image, image)
    _, jvp = functorch.jvp(lambda p: fmodel(params, p)[1], (points,), (tangents,))
    net.norms = True
    return kappa, float(jvp.norm(dim=1).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", required=True, help="scaled form K,S,E,L|...|H,C")
    ap.add_argument("--img", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--curve", type=int, default=10)
    ap.add_argument("--method", choices=["loop", "functorch"], default="functorch")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if min(a.img, a.batch, a.curve, a.threads) < 1:
        ap.error("--img, --batch, --curve and --threads must be positive")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = AsViT(a.arch, a.channels, 1000)
    x = torch.randn(a.batch, a.channels, a.img, a.img)
    n = a.channels * a.img * a.img
    basis = torch.linalg.svd(torch.randn(n, 2), full_matrices=False)[0]
    t = time.perf_counter()
    if a.method == "loop":
        kappa = ntk_condition(model, x)[0]
        le = length_distortion(model, basis, a.curve, 1.0, a.channels, a.img)
    else:
        kappa, le = functorch_measures(model, x, basis, a.curve, a.channels, a.img)
    print(json.dumps({"torch": torch.__version__, "method": a.method, "arch": a.arch, "img": a.img,
                      "ntk_cond": kappa, "length_distortion": le, "measure_s": round(time.perf_counter() - t, 3)}))


if __name__ == "__main__":
    main()
