#!/usr/bin/env python3
"""Goldens for the C++ MDETR from the reference implementation (github ashkamath/mdetr).

Builds the reference model for a named configuration, fills every tensor of its state dict with
the formula of model/nn/synthetic_weights.cc (the same torch kernels on both sides, so the
weights are bit-identical without shipping them), runs it on real images from ../shared/data with
real captions, and writes the inputs and every intermediate output as a flat {name: tensor} file
(torch.save) that the C++ tests read. It can also write the weights as a checkpoint in the
reference's own format ({"model": state_dict, "model_ema": None, "args": Namespace, "epoch": 0}).

The reference checkout stays outside the repository; pass its path:
  .venv/bin/python tools/parity/model/make_goldens.py --reference /path/to/mdetr \
      --config tiny --out tests/data/model/tiny_goldens.pt [--checkpoint out/parity/tiny.pth]
Needs: torch, torchvision, transformers, timm==0.4.12, pillow, pycocotools (scripts/versions.env).
"""
import argparse
import math
import os
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))

# Model configurations. "tiny" is the committed CPU parity config; the others are the released
# architectures (run as slow tests when their goldens are in the cache folder).
CONFIGS = {
    "tiny": dict(backbone="resnet18", hidden_dim=64, nheads=4, enc_layers=2, dec_layers=2, dim_feedforward=128,
                 num_queries=16, text=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                           intermediate_size=128), image_short_side=128, image_max_size=200),
    # The tiny transformer on EfficientNet-B3 (the paper's best backbone family), CPU-sized images.
    "b3_tiny": dict(backbone="timm_tf_efficientnet_b3_ns", hidden_dim=64, nheads=4, enc_layers=2, dec_layers=2,
                    dim_feedforward=128, num_queries=16, text=dict(hidden_size=64, num_hidden_layers=2,
                                                                   num_attention_heads=4, intermediate_size=128),
                    image_short_side=128, image_max_size=200),
    "r101": dict(backbone="resnet101", hidden_dim=256, nheads=8, enc_layers=6, dec_layers=6, dim_feedforward=2048,
                 num_queries=100, text=dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                            intermediate_size=3072), image_short_side=800, image_max_size=1333),
}
# The released architecture at CPU-friendly image sizes, for the full-size objective parity (slow).
CONFIGS["r101_small"] = dict(CONFIGS["r101"], image_short_side=320, image_max_size=480)
# The released EfficientNet architectures (hubconf mdetr_efficientnetB3/B5): R101's settings on timm.
CONFIGS.update({
    name: dict(CONFIGS["r101"], backbone=f"timm_tf_efficientnet_{name}_ns") for name in ("b3", "b5")
})

CAPTIONS = [
    "two cats lying on a pink blanket next to two remote controls",
    "A man in a blue shirt is standing on a ladder cleaning windows.",
]
IMAGES = [
    os.path.join(SHARED, "coco", "000000039769.png"),
    os.path.join(SHARED, "flickr30k_entities", "images"),  # first jpg in the folder
]


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def synthetic_tensor(name, shape, pattern="sine"):
    """Twin of model/nn/synthetic_weights.cc: must stay identical.

    pattern "sine" gives rank-2 matrices; "scrambled" passes the sine through a steep second sine
    for full-rank ones (the full-size objective needs them: rank-2 weights tie the matcher's costs)."""
    phase = (fnv1a64(name) % 10007) / 10007.0 * 2 * math.pi
    numel = 1
    for d in shape:
        numel *= d
    s = torch.sin(torch.arange(numel, dtype=torch.float64) * 1.618033988749895 + phase)
    if pattern == "scrambled":
        s = torch.sin(s * 43758.5453)
    if name.endswith("running_var"):
        v = 1.0 + 0.25 * s
    elif name.endswith("running_mean"):
        v = 0.1 * s
    elif len(shape) == 1 and name.endswith("weight"):
        v = 1.0 + 0.1 * s
    elif len(shape) <= 1:
        v = 0.02 * s
    else:
        v = s / math.sqrt(numel // shape[0])
    return v.to(torch.float32).reshape(shape)


def import_reference(path):
    import torchvision
    # util/misc.py parses torchvision.__version__[:3] as a float to pick old private imports; a
    # modern "0.2x" reads as 0.2. Present a version it treats as modern while importing.
    real_version = torchvision.__version__
    torchvision.__version__ = "0.9.0"
    sys.path.insert(0, path)
    import main as reference_main  # noqa: E402
    from models import build_model  # noqa: E402
    from util.misc import NestedTensor  # noqa: E402
    torchvision.__version__ = real_version
    return reference_main, build_model, NestedTensor


def make_text_encoder_dir(cfg, tmp):
    from transformers import RobertaConfig, RobertaModel
    tok_dir = os.path.join(SHARED, "tokenizer", "roberta-base")
    conf = RobertaConfig(vocab_size=50265, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                         bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, **cfg["text"])
    RobertaModel(conf).save_pretrained(tmp)
    for f in ("vocab.json", "merges.txt"):
        with open(os.path.join(tok_dir, f), "rb") as src, open(os.path.join(tmp, f), "wb") as dst:
            dst.write(src.read())
    return tmp


def load_images(cfg):
    from PIL import Image
    import torchvision.transforms.functional as F
    tensors = []
    for p in IMAGES:
        if os.path.isdir(p):
            p = os.path.join(p, sorted(f for f in os.listdir(p) if f.endswith(".jpg"))[0])
        img = Image.open(p).convert("RGB")
        w, h = img.size
        scale = cfg["image_short_side"] / min(w, h)
        if max(w, h) * scale > cfg["image_max_size"]:
            scale = cfg["image_max_size"] / max(w, h)
        size = (int(round(h * scale)), int(round(w * scale)))
        t = F.to_tensor(F.resize(img, size))
        tensors.append(F.normalize(t, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
    return tensors


# Ground truth for the objective goldens: image 0's boxes are its real COCO annotations (xywh,
# pixels; image 640x480), image 1's are drawn by hand. Spans index the captions above; the span
# (3, 8) starts on a space so the positive maps exercise the reference's fallbacks.
TARGETS = [
    dict(size=(640, 480), boxes=[[17.5, 54.38, 301.25, 415.0], [347.5, 25.63, 292.5, 343.75],
                                 [332.89, 79.57, 38.65, 106.31], [41.88, 74.2, 133.15, 45.1],
                                 [1.08, 0.0, 638.56, 473.53]],
         spans=[[[0, 8]], [[3, 8]], [[41, 60]], [[41, 60]], [[18, 32]]]),
    dict(size=None, boxes_rel=[[0.45, 0.5, 0.3, 0.8], [0.5, 0.35, 0.2, 0.3], [0.7, 0.6, 0.2, 0.7]],
         spans=[[[0, 5]], [[9, 21]], [[37, 45]]]),
]


def objective_goldens(model, samples, args, tokenizer, dtype=torch.float32):
    """Matches, loss terms, gradients and a 20-step loss curve of the reference's objective.

    `dtype` float64 (with the model and images in float64) gives the objective without float32
    rounding, against which the rounding error of a float32 run is measured."""
    from datasets.coco import create_positive_map
    from models.mdetr import SetCriterion
    from models.matcher import build_matcher
    from util.optim import adjust_learning_rate
    import models

    g = {}
    targets, maps = [], []
    for b, (t, caption) in enumerate(zip(TARGETS, CAPTIONS)):
        if t.get("size"):
            w, h = t["size"]
            xywh = torch.tensor(t["boxes"], dtype=torch.float32)
            boxes = torch.stack([(xywh[:, 0] + xywh[:, 2] / 2) / w, (xywh[:, 1] + xywh[:, 3] / 2) / h,
                                 xywh[:, 2] / w, xywh[:, 3] / h], dim=1)
        else:
            boxes = torch.tensor(t["boxes_rel"], dtype=torch.float32)
        tokenized = tokenizer(caption, return_tensors="pt")
        pmap = create_positive_map(tokenized, t["spans"])
        boxes, pmap = boxes.to(dtype), pmap.to(dtype)
        targets.append({"boxes": boxes, "labels": torch.zeros(len(boxes), dtype=torch.int64),
                        "tokens_positive": t["spans"]})
        maps.append(pmap)
        g[f"target.{b}.boxes"] = boxes
        g[f"target.{b}.positive_map"] = pmap
        g[f"target.{b}.spans"] = torch.tensor([[j, s[0], s[1]] for j, sp in enumerate(t["spans"]) for s in sp])
    positive_map = torch.cat(maps)

    matcher = build_matcher(args)
    losses = ["labels", "boxes", "cardinality", "contrastive_align"]
    criterion = SetCriterion(255, matcher=matcher, eos_coef=args.eos_coef, losses=losses,
                             temperature=args.temperature_NCE)
    weight_dict = {"loss_ce": args.ce_loss_coef, "loss_bbox": args.bbox_loss_coef,
                   "loss_contrastive_align": args.contrastive_align_loss_coef, "loss_giou": args.giou_loss_coef}
    weight_dict.update({f"{k}_{i}": v for i in range(args.dec_layers - 1) for k, v in list(weight_dict.items())})
    captions = CAPTIONS

    def forward_losses():
        cache = model(samples, captions, encode_and_save=True)
        out = model(samples, captions, encode_and_save=False, memory_cache=cache)
        loss_dict = criterion(out, targets, positive_map)
        total = sum(loss_dict[k] * weight_dict[k] for k in loss_dict if k in weight_dict)
        return out, loss_dict, total

    model.eval()  # dropout off on both sides; MDETR's batch norms are frozen anyway
    model.zero_grad()
    out, loss_dict, total = forward_losses()
    indices = matcher({k: v for k, v in out.items() if k != "aux_outputs"}, targets, positive_map)
    for b, (src, tgt) in enumerate(indices):
        g[f"match.{b}.src"] = src
        g[f"match.{b}.tgt"] = tgt
    for k, v in loss_dict.items():
        g[f"loss.{k}"] = v.detach().reshape(1)
    g["loss.total"] = total.detach().reshape(1)
    total.backward()
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        grad = p.grad.detach()
        if grad.numel() <= 65536:
            g[f"grad.{name}"] = grad.clone()
        else:
            probes = [synthetic_tensor(f"{name}:probe{i}", list(grad.shape)) for i in range(3)]
            g[f"gradstat.{name}"] = torch.stack([grad.double().norm(), grad.double().sum()] +
                                                [(grad.double() * pr.double()).sum() for pr in probes])

    # 20 steps of the reference's loop on this batch: AdamW over three groups, clipping 0.1, the
    # schedule applied after each step (epochs = 1, 20 steps in all).
    param_dicts = [
        {"params": [p for n, p in model.named_parameters() if "backbone" not in n and "text_encoder" not in n
                    and p.requires_grad]},
        {"params": [p for n, p in model.named_parameters() if "backbone" in n and p.requires_grad],
         "lr": args.lr_backbone},
        {"params": [p for n, p in model.named_parameters() if "text_encoder" in n and p.requires_grad],
         "lr": args.text_encoder_lr},
    ]
    optimizer = torch.optim.AdamW(param_dicts, lr=args.lr, weight_decay=args.weight_decay)
    args.epochs = 1
    curve, lrs = [], []
    for step in range(20):
        _, _, total = forward_losses()
        curve.append(total.item())
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_max_norm)
        optimizer.step()
        adjust_learning_rate(optimizer, 0, step, num_training_steps=20, args=args)
        lrs.append([pg["lr"] for pg in optimizer.param_groups])
    g["train.loss"] = torch.tensor(curve, dtype=torch.float64)
    g["train.lr"] = torch.tensor(lrs, dtype=torch.float64)
    return g


def objective_spread(g, opts, cfg, samples, NestedTensor):
    """How far the reference's float32 objective moves by rounding alone, measured twice: against
    the same reference in float64 (spread.float64.*) and against itself at 1 intra-op thread, which
    sums in another order (spread.threads.*). Per gradient the largest absolute difference; per
    gradient statistic and per loss-curve step the absolute difference. The assignments must be
    the same in every run (else the comparison is meaningless)."""
    runs = {}
    model, args, tokenizer, _, _ = build_reference_model(opts.reference, cfg, opts.weights)
    model = model.double()
    runs["float64"] = objective_goldens(model, NestedTensor(samples.tensors.double(), samples.mask), args, tokenizer,
                                        torch.float64)
    torch.set_num_threads(1)
    model, args, tokenizer, _, _ = build_reference_model(opts.reference, cfg, opts.weights)
    runs["threads"] = objective_goldens(model, samples, args, tokenizer)
    torch.set_num_threads(max(1, opts.threads))
    spread = {}
    for run, other in runs.items():
        for k, v in other.items():
            if k.startswith("match.") and not torch.equal(v, g[k]):
                raise SystemExit(f"{k}: the reference assigns differently in its {run} run")
            if k.startswith("grad."):
                spread[f"spread.{run}.{k}"] = (v.double() - g[k].double()).abs().max().reshape(1)
            elif k.startswith("gradstat.") or k == "train.loss":
                spread[f"spread.{run}.{k}"] = (v.double() - g[k].double()).abs()
    return spread


def build_reference_model(reference, cfg, pattern="sine"):
    """The reference's MDETR for `cfg` with synthetic weights of `pattern`, in eval mode.

    Returns (model, args, tokenizer, NestedTensor class, reference main module)."""
    built = build_reference_training(reference, cfg, pattern=pattern)
    return built["model"], built["args"], built["tokenizer"], built["NestedTensor"], built["main"]


def build_reference_training(reference, cfg, overrides=None, pattern="sine"):
    """build_reference_model plus what the reference's build_model returns for training.

    `overrides` sets reference arguments (main.py's names, e.g. {"dropout": 0.0}) before the model
    is built. Returns a dict with model (synthetic weights, eval mode), criterion,
    contrastive_criterion, qa_criterion, weight_dict, args, tokenizer, NestedTensor and main (the
    reference's main module)."""
    reference_main, build_model, NestedTensor = import_reference(os.path.abspath(reference))
    with tempfile.TemporaryDirectory() as tmp:
        text_dir = make_text_encoder_dir(cfg, tmp)
        args = reference_main.get_args_parser().parse_args(["--dataset_config", "unused.json"])
        args.device = "cpu"
        args.backbone = cfg["backbone"]
        args.lr_backbone = 1e-5
        args.hidden_dim = cfg["hidden_dim"]
        args.nheads = cfg["nheads"]
        args.enc_layers = cfg["enc_layers"]
        args.dec_layers = cfg["dec_layers"]
        args.dim_feedforward = cfg["dim_feedforward"]
        args.num_queries = cfg["num_queries"]
        args.text_encoder_type = text_dir
        args.combine_datasets = ["flickr"]
        for key, value in (overrides or {}).items():
            setattr(args, key, value)
        # The reference asks torchvision for ImageNet weights (a download); every weight is
        # overwritten below, so build the networks without them.
        import torchvision.models
        for arch in ("resnet18", "resnet34", "resnet50", "resnet101"):
            original = getattr(torchvision.models, arch)
            setattr(torchvision.models, arch,
                    lambda *a, _f=original, pretrained=False, **kw: _f(*a, **{**kw, "weights": None}))
        # Same for timm (TimmBackbone asks for the Noisy-Student weights).
        import models.backbone as ref_backbone
        real_create = ref_backbone.create_model
        ref_backbone.create_model = lambda *a, **kw: real_create(*a, **{**kw, "pretrained": False})
        model, criterion, contrastive_criterion, qa_criterion, weight_dict = build_model(args)
        tokenizer = model.transformer.tokenizer

    state = model.state_dict()
    with torch.no_grad():
        for name, t in state.items():
            if t.is_floating_point():
                t.copy_(synthetic_tensor(name, list(t.shape), pattern))
    model.eval()

    return dict(model=model, criterion=criterion, contrastive_criterion=contrastive_criterion,
                qa_criterion=qa_criterion, weight_dict=weight_dict, args=args, tokenizer=tokenizer,
                NestedTensor=NestedTensor, main=reference_main)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="path of a checkout of the MDETR reference")
    ap.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    ap.add_argument("--out", required=True, help="goldens file to write (torch.save of a flat dict)")
    ap.add_argument("--checkpoint", help="also write the weights as a reference-format .pth checkpoint")
    ap.add_argument("--objective", action="store_true",
                    help="also record the training objective: matches, every loss term, gradients, 20 steps")
    ap.add_argument("--weights", default="sine", choices=["sine", "scrambled"],
                    help="synthetic weight pattern (model/nn/synthetic_weights.h); the full-size objective "
                         "goldens use scrambled")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="intra-op threads (default: every core)")
    ap.add_argument("--spread", action="store_true",
                    help="with --objective: run the objective again in float64 and at 1 thread, and record "
                         "how far rounding alone moves the reference (spread.*), against which a deep model's "
                         "gradients and loss curve are compared")
    opts = ap.parse_args()
    cfg = CONFIGS[opts.config]
    torch.set_num_threads(max(1, opts.threads))
    model, args, tokenizer, NestedTensor, reference_main = build_reference_model(opts.reference, cfg, opts.weights)

    images = load_images(cfg)
    samples = NestedTensor.from_tensor_list(images)
    captured = {}
    model.transformer.text_encoder.register_forward_hook(
        lambda m, i, o: captured.__setitem__("text_hidden", o.last_hidden_state.detach().clone()))
    with torch.no_grad():
        feats, pos = model.backbone(samples)
        cache = model(samples, CAPTIONS, encode_and_save=True)
        out = model(samples, CAPTIONS, encode_and_save=False, memory_cache=cache)
    tok = tokenizer.batch_encode_plus(CAPTIONS, padding="longest", return_tensors="pt")

    g = {
        "input.images": samples.tensors, "input.mask": samples.mask,
        "input.input_ids": tok["input_ids"], "input.attention_mask": tok["attention_mask"],
        "backbone.features": feats[-1].tensors, "backbone.mask": feats[-1].mask, "backbone.pos": pos[-1],
        "text.hidden": captured["text_hidden"],
        "cache.text_memory_resized": cache["text_memory_resized"], "cache.text_memory": cache["text_memory"],
        "cache.img_memory": cache["img_memory"], "cache.mask": cache["mask"],
        "out.pred_logits": out["pred_logits"], "out.pred_boxes": out["pred_boxes"],
        "out.proj_queries": out["proj_queries"], "out.proj_tokens": out["proj_tokens"],
    }
    for i, aux in enumerate(out.get("aux_outputs", [])):
        g[f"aux.{i}.pred_logits"] = aux["pred_logits"]
        g[f"aux.{i}.pred_boxes"] = aux["pred_boxes"]
        g[f"aux.{i}.proj_queries"] = aux["proj_queries"]
    if opts.objective:
        g.update(objective_goldens(model, samples, args, tokenizer))
        if opts.spread:
            g.update(objective_spread(g, opts, cfg, samples, NestedTensor))
    g["weights.scrambled"] = torch.tensor([1 if opts.weights == "scrambled" else 0])
    g = {k: v.contiguous() for k, v in g.items()}
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    torch.save(g, opts.out)
    print(f"wrote {len(g)} tensors to {opts.out} ({os.path.getsize(opts.out) / 1e6:.2f} MB)")
    if opts.checkpoint:
        os.makedirs(os.path.dirname(os.path.abspath(opts.checkpoint)), exist_ok=True)
        args.text_encoder_type = "roberta-base"
        torch.save({"model": model.state_dict(), "model_ema": None, "args": args, "epoch": 0}, opts.checkpoint)
        print(f"wrote reference-format checkpoint {opts.checkpoint}")


if __name__ == "__main__":
    main()
