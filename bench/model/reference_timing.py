#!/usr/bin/env python3
"""Forward and training-step time of the reference MDETR (github ashkamath/mdetr) on CPU.

The twin of model_bench.cc: the same architecture (tools/parity/model/make_goldens.py CONFIGS),
the same synthetic weights, the same input sizes, captions and thread count. Prints one JSON line:
{"forward_ms": [...], "train_step_ms": [...], "load_ms": [...]}.
"""
import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "parity", "model"))
import make_goldens  # noqa: E402

CAPTIONS = make_goldens.CAPTIONS


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--config", default="tiny", choices=sorted(make_goldens.CONFIGS))
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--forward-only", action="store_true", help="skip the training step")
    ap.add_argument("--checkpoint", help="also time loading this .pth as main.py does (torch.load + load_state_dict)")
    opts = ap.parse_args()
    torch.set_num_threads(opts.threads)
    model, _, _, NestedTensor, _ = make_goldens.build_reference_model(opts.reference, make_goldens.CONFIGS[opts.config])
    load_ms = []
    for i in range((opts.iters + 1) if opts.checkpoint else 0):  # the first load warms the page cache
        t0 = time.perf_counter()
        checkpoint = torch.load(opts.checkpoint, map_location="cpu", weights_only=False)
        model.load_state_dict(checkpoint["model"])
        del checkpoint
        if i > 0:
            load_ms.append((time.perf_counter() - t0) * 1e3)

    torch.manual_seed(0)
    images = torch.randn(opts.batch, 3, opts.height, opts.width)
    samples = NestedTensor(images, torch.zeros(opts.batch, opts.height, opts.width, dtype=torch.bool))
    captions = [CAPTIONS[i % len(CAPTIONS)] for i in range(opts.batch)]

    forward_ms = []
    with torch.no_grad():
        for i in range(opts.iters + 1):
            t0 = time.perf_counter()
            cache = model(samples, captions, encode_and_save=True)
            model(samples, captions, encode_and_save=False, memory_cache=cache)
            if i > 0:  # the first call warms up allocators and caches
                forward_ms.append((time.perf_counter() - t0) * 1e3)

    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5, weight_decay=1e-4)
    train_ms = []
    for i in range(0 if opts.forward_only else opts.iters + 1):
        t0 = time.perf_counter()
        cache = model(samples, captions, encode_and_save=True)
        out = model(samples, captions, encode_and_save=False, memory_cache=cache)
        # The surrogate loss of model_bench.cc: it touches every output the real losses read.
        loss = out["pred_logits"].logsumexp(-1).mean() + out["pred_boxes"].mean() + out["proj_queries"].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i > 0:
            train_ms.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"forward_ms": forward_ms, "train_step_ms": train_ms, "load_ms": load_ms}))


if __name__ == "__main__":
    main()
