#!/usr/bin/env python3
"""Times the MDETR reference's data loading: torch.utils.data.DataLoader over the reference's
ModulatedDetection dataset (PIL decode, ConvertCocoPolysToMask with the RoBERTa tokenizer, the
train transforms of make_coco_transforms(cautious=True)) and its collate_fn.

Prints one JSON line: {"workers", "images", "seconds", "images_per_s"}. Called by loader_bench;
the reference checkout comes from --reference (github.com/ashkamath/mdetr).
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--ann", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=2)
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
    images = 0
    start = time.perf_counter()
    for _ in range(args.epochs):
        for batch in loader:
            images += batch["samples"].tensors.shape[0]
    seconds = time.perf_counter() - start
    print(json.dumps({"workers": args.workers, "images": images, "seconds": seconds,
                      "images_per_s": images / seconds}))


if __name__ == "__main__":
    main()
