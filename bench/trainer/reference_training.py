#!/usr/bin/env python3
"""Training images/s of the MDETR reference's own loop (github ashkamath/mdetr), the twin of
trainer_bench's run of our trainer.

What runs is the reference's: engine.train_one_epoch with the SetCriterion and weight_dict of its
build_model, AdamW over its three parameter groups (main.py), gradient clipping at clip_max_norm
and its learning-rate schedule; its ModulatedDetection dataset over the same MDETR-format
annotation file and images, with the train transforms of make_coco_transforms (cautious, as every
grounding dataset builds them) assembled from its datasets/transforms.py at the benchmark's
scales, and its collate_fn in a torch DataLoader (RandomSampler, BatchSampler with drop_last,
the same worker count). The model is built by tools/parity/model/make_goldens.py for the named
configuration (synthetic weights; a RoBERTa-shaped text encoder from a local config).

The loop stops after --steps steps (the loader reports a whole epoch's length, so the schedule is
that of a full run); the time of each step is taken when the loop asks for its next batch, and
the figure excludes the first --warmup steps. With --flops-batches N the forward FLOPs of N more
batches are counted (torch.utils.flop_counter) and reported per image.

Prints one JSON line: {"images_per_s", "steps", "warmup", "batch", "seconds", "step_s": [...],
"forward_flops_per_image"?}.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "parity", "model"))

REQUIRED = ("torch", "torchvision", "transformers", "timm", "scipy", "pycocotools", "PIL")


def fail(message):
    print(f"reference_training.py: {message}", file=sys.stderr)
    sys.exit(2)


def check_environment(reference):
    missing = []
    for name in REQUIRED:
        try:
            __import__(name)
        except ImportError as e:
            missing.append(f"{name} ({e})")
    if missing:
        fail(f"{sys.executable} lacks Python packages the reference needs: {', '.join(missing)}")
    for rel in ("engine.py", "main.py", "datasets/coco.py", "datasets/transforms.py", "models/mdetr.py"):
        if not os.path.isfile(os.path.join(reference, rel)):
            fail(f"{reference} is not a checkout of github.com/ashkamath/mdetr (no {rel})")


def train_transforms(T, scales, max_size, crop_pre_scales, crop_min, crop_max):
    """make_coco_transforms("train", cautious=True) at the given scales, from the reference's parts."""
    normalize = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    return T.Compose([
        T.RandomSelect(
            T.RandomResize(scales, max_size=max_size),
            T.Compose([
                T.RandomResize(crop_pre_scales),
                T.RandomSizeCrop(crop_min, crop_max, respect_boxes=True),
                T.RandomResize(scales, max_size=max_size),
            ]),
        ),
        normalize,
    ])


class FirstSteps:
    """The first `steps` batches of a loader, reporting the whole loader's length (so
    train_one_epoch's schedule is a full run's) and the time each batch was asked for."""

    def __init__(self, loader, steps):
        self.loader, self.steps, self.times = loader, steps, []

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        it = iter(self.loader)
        for _ in range(self.steps):
            self.times.append(time.perf_counter())
            yield next(it)
        self.times.append(time.perf_counter())  # the loop asked for one more: the last step is done


def autocast_forward(model, device_type):
    """The model's forward under bf16 autocast with float32 outputs, as our trainer runs it (the
    losses stay float32)."""
    import torch
    forward = model.forward

    def to_float(x):
        if isinstance(x, torch.Tensor):
            return x.float() if x.is_floating_point() else x
        if isinstance(x, dict):
            return {k: to_float(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(to_float(v) for v in x)
        return x

    def wrapped(*a, **kw):
        with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            out = forward(*a, **kw)
        return to_float(out)

    model.forward = wrapped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="checkout of github.com/ashkamath/mdetr")
    ap.add_argument("--config", default="tiny", help="a configuration of make_goldens.CONFIGS")
    ap.add_argument("--ann", required=True, help="MDETR-format annotation file (COCO layout)")
    ap.add_argument("--images", required=True, help="image folder")
    ap.add_argument("--tokenizer", required=True, help="roberta-base tokenizer folder")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scales", default="", help="comma-separated shorter sides; empty: the reference's 480..800")
    ap.add_argument("--max-size", type=int, default=1333)
    ap.add_argument("--epochs", type=int, default=1, help="epochs of the schedule")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lr-backbone", type=float, default=1e-5)
    ap.add_argument("--text-encoder-lr", type=float, default=5e-5)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--clip-max-norm", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.1, help="transformer dropout")
    ap.add_argument("--text-dropout", type=float, default=0.1, help="RoBERTa's and the resizer's dropout")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--flops-batches", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--expect-shape", help="JSON: the model shape our config has, checked against --config's")
    opts = ap.parse_args()
    reference = os.path.abspath(opts.reference)
    check_environment(reference)

    import random
    from functools import partial

    import torch
    from transformers import RobertaTokenizerFast

    import make_goldens
    if opts.config not in make_goldens.CONFIGS:
        fail(f"--config: expected one of {sorted(make_goldens.CONFIGS)}, got {opts.config}")
    if opts.device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda but torch sees no GPU")
    if opts.steps <= opts.warmup:
        fail(f"--steps ({opts.steps}) must exceed --warmup ({opts.warmup})")
    torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    random.seed(opts.seed)
    device = torch.device(opts.device)

    cfg = dict(make_goldens.CONFIGS[opts.config])
    if opts.expect_shape:
        for key, want in json.loads(opts.expect_shape).items():
            have = cfg.get(key)
            if isinstance(want, dict):
                have = {k: have.get(k) for k in want}
            if have != want:
                fail(f"make_goldens.CONFIGS[{opts.config!r}][{key!r}] is {have}, our config has {want}")
    cfg["text"] = dict(cfg["text"], hidden_dropout_prob=opts.text_dropout,
                       attention_probs_dropout_prob=opts.text_dropout)
    built = make_goldens.build_reference_training(reference, cfg, overrides=dict(
        device=opts.device, dropout=opts.dropout, lr=opts.lr, lr_backbone=opts.lr_backbone,
        text_encoder_lr=opts.text_encoder_lr, weight_decay=opts.weight_decay, clip_max_norm=opts.clip_max_norm,
        epochs=opts.epochs, batch_size=opts.batch, num_workers=opts.workers))
    model, args = built["model"], built["args"]
    # FeatureResizer's dropout is fixed at 0.1 in the reference; ours follows text_encoder.dropout.
    model.transformer.resizer.dropout.p = opts.text_dropout
    model.to(device)
    if opts.precision == "bf16":
        autocast_forward(model, opts.device)

    # The datasets and engine modules are importable now that make_goldens put the checkout on sys.path.
    import datasets.transforms as T
    from datasets.coco import ModulatedDetection
    from engine import train_one_epoch
    from util.misc import collate_fn

    scales = [int(s) for s in opts.scales.split(",") if s] or list(range(480, 801, 32))
    if opts.scales:
        # Small-image presets: the crop branch at the preset's scale, as our trainer sets it.
        smallest = min(scales)
        crop = ([smallest, (smallest + opts.max_size) // 2], smallest * 3 // 4, opts.max_size)
    else:
        crop = ([400, 500, 600], 384, opts.max_size)
    tokenizer = RobertaTokenizerFast.from_pretrained(opts.tokenizer)
    dataset = ModulatedDetection(opts.images, opts.ann, transforms=train_transforms(T, scales, opts.max_size, *crop),
                                 return_masks=False, return_tokens=True, tokenizer=tokenizer, is_train=True)
    generator = torch.Generator().manual_seed(opts.seed)
    batch_sampler = torch.utils.data.BatchSampler(torch.utils.data.RandomSampler(dataset, generator=generator),
                                                  opts.batch, drop_last=True)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=batch_sampler, collate_fn=partial(collate_fn, False),
                                         num_workers=opts.workers)
    if len(loader) < opts.steps:
        fail(f"{opts.ann}: {len(dataset)} samples make {len(loader)} batches of {opts.batch}, fewer than "
             f"--steps {opts.steps}")

    param_dicts = [
        {"params": [p for n, p in model.named_parameters()
                    if "backbone" not in n and "text_encoder" not in n and p.requires_grad]},
        {"params": [p for n, p in model.named_parameters() if "backbone" in n and p.requires_grad],
         "lr": args.lr_backbone},
        {"params": [p for n, p in model.named_parameters() if "text_encoder" in n and p.requires_grad],
         "lr": args.text_encoder_lr},
    ]
    optimizer = torch.optim.AdamW(param_dicts, lr=args.lr, weight_decay=args.weight_decay)

    steps = FirstSteps(loader, opts.steps)
    devnull = open(os.devnull, "w")
    real_stdout, sys.stdout = sys.stdout, devnull  # train_one_epoch's progress lines
    try:
        train_one_epoch(model=model, criterion=built["criterion"], contrastive_criterion=built["contrastive_criterion"],
                        qa_criterion=built["qa_criterion"], weight_dict=built["weight_dict"], data_loader=steps,
                        optimizer=optimizer, device=device, epoch=0, args=args, max_norm=args.clip_max_norm)
        if opts.device == "cuda":
            torch.cuda.synchronize()
        end = time.perf_counter()
    finally:
        sys.stdout = real_stdout
    t = steps.times
    if opts.device == "cuda":
        t[-1] = end  # after the last step's queued kernels, not when it asked for more
    seconds = t[opts.steps] - t[opts.warmup]
    result = {
        "images_per_s": (opts.steps - opts.warmup) * opts.batch / seconds,
        "steps": opts.steps, "warmup": opts.warmup, "batch": opts.batch, "seconds": seconds,
        "step_s": [b - a for a, b in zip(t, t[1:])],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # main process
    }

    if opts.flops_batches > 0:
        from torch.utils.flop_counter import FlopCounterMode
        model.eval()
        flops, images = 0, 0
        it = iter(loader)
        with torch.no_grad():
            for _ in range(min(opts.flops_batches, len(loader))):
                batch = next(it)
                samples = batch["samples"].to(device)
                captions = [t["caption"] for t in batch["targets"]]
                counter = FlopCounterMode(display=False)
                with counter:
                    cache = model(samples, captions, encode_and_save=True)
                    model(samples, captions, encode_and_save=False, memory_cache=cache)
                flops += counter.get_total_flops()
                images += samples.tensors.shape[0]
        result["forward_flops_per_image"] = flops / images
        result["flops_images"] = images
    if not all(math.isfinite(x) for x in result["step_s"]):
        fail("non-finite step times")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
