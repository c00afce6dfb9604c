"""The reference's optimizer step and EMA update on CPU, timed on tensors shaped like the released
MDETR's trainable parameters: PyTorch's AdamW as the reference builds it (no foreach/fused flag,
which on CPU means the single-tensor loop) and the reference's EMA expression. optimizer_bench runs
this and prints its figures next to ours; the shapes are the same list (optimizer_shapes.txt).

    .venv/bin/python bench/trainer/optimizer_step.py [--threads 2] [--repeats 5]   # prints JSON
"""
import argparse
import json
import os
import time

import torch


def read_shapes():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_shapes.txt")
    shapes = []
    for line in open(path):
        line = line.split("#")[0].split()
        if line:
            count, dims = int(line[0]), tuple(int(d) for d in line[1].split("x"))
            shapes += [dims] * count
    return shapes


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    shapes = read_shapes()
    params = [torch.nn.Parameter(torch.randn(s) * 0.02) for s in shapes]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=1e-4)
    adamw = median_ms(opt.step, a.repeats)
    del opt, params
    ema = [torch.randn(s) for s in shapes]
    model = [torch.randn(s) for s in shapes]
    decay = 0.9998

    def update():
        for e, v in zip(ema, model):
            e.copy_(e * decay + (1.0 - decay) * v)

    print(json.dumps({"tensors": len(shapes), "parameters": sum(torch.Size(s).numel() for s in shapes),
                      "adamw_ms": adamw, "ema_ms": median_ms(update, a.repeats)}))


if __name__ == "__main__":
    main()
