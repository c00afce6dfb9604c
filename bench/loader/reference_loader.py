#!/usr/bin/env python3
"""Times the MDETR reference's data loading: torch.utils.data.DataLoader over the reference's
ModulatedDetection dataset (PIL decode, ConvertCocoPolysToMask with the RoBERTa tokenizer, the
train transforms of make_coco_transforms(cautious=True)) and its collate_fn.

Prints one JSON line: {"workers", "images", "seconds", "images_per_s", "cpu_seconds",
"images_per_cpu_s"} for the fastest of --rounds rounds of --epochs epochs (the machine may be
shared); CPU time is the main process's plus its worker processes' (from /proc). Called by loader_bench;
the reference checkout comes from --reference (github.com/ashkamath/mdetr).
"""
import argparse
import json
import os
import sys
import time


def cpu_seconds(pids):
    """User + system CPU time of the given processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--ann", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, args.reference)
    from functools import partial

    import torch
    from transformers import RobertaTokenizerFast

    from datasets.coco import ModulatedDetection, make_coco_transforms
    from util.misc import collate_fn

    tokenizer = RobertaTokenizerFast.from_pretrained(args.tokenizer)
    ds = ModulatedDetection(args.images, args.ann, transforms=make_coco_transforms("train", cautious=True),
                            return_masks=False, return_tokens=True, tokenizer=tokenizer, is_train=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                                         collate_fn=partial(collate_fn, False), persistent_workers=True)
    for _ in loader:  # warm-up: worker start, first file reads
        pass
    pids = [os.getpid()] + [w.pid for w in loader._iterator._workers]
    best = None
    for _ in range(args.rounds):
        images = 0
        cpu0 = cpu_seconds(pids)
        start = time.perf_counter()
        for _ in range(args.epochs):
            for batch in loader:
                images += batch["samples"].tensors.shape[0]
        seconds = time.perf_counter() - start
        cpu = cpu_seconds(pids) - cpu0
        if best is None or seconds < best[1]:
            best = (images, seconds, cpu)
    images, seconds, cpu = best
    print(json.dumps({"workers": args.workers, "images": images, "seconds": seconds,
                      "images_per_s": images / seconds, "cpu_seconds": cpu, "images_per_cpu_s": images / cpu}))


if __name__ == "__main__":
    main()
