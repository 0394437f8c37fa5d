#!/usr/bin/python3
"""Training-step throughput of the authors' model in PyTorch, the baseline
of `asvit bench step` (README "Performance", "Training").

The model is scripts/parity/asvit_torch.py's re-derivation of the authors'
As-ViT, checked against asvit by the parity fixture. One step is what
`asvit train` and `asvit bench step` run: forward, cross-entropy with label
smoothing 0.1, backward, AdamW (lr 1e-3, weight decay 0.05), on a random
batch. Steps and no-grad forward passes alternate after the warm-up, as
`asvit bench step` times them, so that the machine's load moves both alike.

    apt-get install -y python3-torch libopenblas0-pthread  # the reference BLAS is 4x slower
    /usr/bin/python3 scripts/bench-torch.py --arch '8,2,3,1|4,1,2,1|4,1,4,1|4,1,6,1|32,32' \\
        --img 32 --batch 128 --channels 1 --classes 10 --repeat 20 --warmup 3

It prints one JSON object: the medians and minima in milliseconds, the
step/forward ratio and training images per second at the median step.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity"))
from asvit_torch import AsViT  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", required=True, help="scaled form K,S,E,L|...|H,C")
    ap.add_argument("--img", type=int, default=32)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if min(a.img, a.batch, a.repeat, a.threads) < 1 or a.warmup < 0:
        ap.error("--img, --batch, --repeat and --threads must be positive, --warmup not negative")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = AsViT(a.arch, a.channels, a.classes)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    x = torch.randn(a.batch, a.channels, a.img, a.img)
    labels = torch.randint(0, a.classes, (a.batch,))

    def step():
        t = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        F.cross_entropy(logits, labels, label_smoothing=0.1).backward()
        opt.step()
        return time.perf_counter() - t

    def forward():
        t = time.perf_counter()
        model.eval()
        with torch.no_grad():
            model(x)
        return time.perf_counter() - t

    for _ in range(a.warmup):
        step()
        forward()
    steps, forwards = [], []
    for _ in range(a.repeat):
        steps.append(step())
        forwards.append(forward())
    ms = lambda v: round(1e3 * v, 2)  # noqa: E731
    s, f = statistics.median(steps), statistics.median(forwards)
    print(json.dumps({
        "torch": torch.__version__, "threads": a.threads, "arch": a.arch, "img": a.img, "batch": a.batch,
        "params": sum(p.numel() for p in model.parameters()),
        "step_median_ms": ms(s), "step_min_ms": ms(min(steps)),
        "forward_median_ms": ms(f), "forward_min_ms": ms(min(forwards)),
        "step_over_forward": round(s / f, 2), "images_per_s": round(a.batch / s, 1),
    }))


if __name__ == "__main__":
    main()
