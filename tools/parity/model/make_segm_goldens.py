#!/usr/bin/env python3
"""Goldens for the C++ segmentation model (PhraseCut's DETRsegm) from the reference implementation.

A tiny configuration with masks on: ResNet-18, hidden 128 and 8 heads (the smallest the mask
head's group norms allow). The reference's ResNet branch hard-codes ResNet-50/101's stride 16/8/4
widths, so its mask head is rebuilt (its own class) with ResNet-18's, as it builds the head from
the channels of a timm backbone. Every tensor is filled with the synthetic weights of
make_goldens.py; the inputs are the same real images (smaller) and captions. Ground-truth masks:
image 0's are its real COCO polygons, image 1's are ellipses in hand-drawn boxes, both at the
network's input size as the reference's resize leaves them. Recorded: inputs, the attention maps,
pred_masks, the matches and every loss term (the reference's SetCriterion with the masks loss),
the gradients of the attention map and mask head, the mask head alone on formula inputs, and
PostProcessSegm's binary masks.

The reference runs in float64: in float32 the mask head's group norms amplify rounding (here its
float32 pred_masks differ from its float64 ones by 6.1e-5 of their largest value, and float32
mask-head gradients of the two implementations differed by up to 1%), which would hide real
differences. The C++ tests run the model in float64 too; values are stored as float32 (the
rounding, 6e-8 relative, is far below the tolerances).

  .venv/bin/python tools/parity/model/make_segm_goldens.py --reference /path/to/mdetr \
      --out tests/data/model/tiny_segm_goldens.pt
"""
import argparse
import json
import math
import os
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens as base  # noqa: E402

# Mirrors configs/models/tiny_cpu.yaml with the overrides of tests/model/segmentation_fixture.h.
# Smaller images than the detector goldens keep the CI tests fast (and still pad the top level).
CONFIG = dict(base.CONFIGS["tiny"], backbone="resnet18", hidden_dim=128, nheads=8, image_short_side=80,
              image_max_size=128)
# Orig sizes handed to PostProcessSegm (small, so the stored binary masks stay small).
ORIG_SIZES = [(48, 64), (60, 40)]  # (h, w); image 0 is landscape, image 1 portrait
COCO_IDS = [2190839, 2190842, 1108446, 1110067, 1605237]  # in the order of base.TARGETS[0]


def target_masks(images):
    """[n,h,w] bool per image at the network's input size."""
    from pycocotools import mask as coco_mask
    import torch.nn.functional as F
    with open(os.path.join(base.SHARED, "coco", "coco_annotations_000000039769.txt")) as f:
        anns = {a["id"]: a for a in json.load(f)}
    full = []
    for i in COCO_IDS:
        rles = coco_mask.frPyObjects(anns[i]["segmentation"], 480, 640)
        full.append(torch.as_tensor(coco_mask.decode(coco_mask.merge(rles)), dtype=torch.uint8))
    full = torch.stack(full)
    h0, w0 = images[0].shape[-2:]
    # datasets/transforms.py resize: nearest interpolation of the float masks, then > 0.5.
    masks0 = F.interpolate(full[:, None].float(), size=(h0, w0), mode="nearest")[:, 0] > 0.5
    h1, w1 = images[1].shape[-2:]
    ys = (torch.arange(h1, dtype=torch.float32) + 0.5) / h1
    xs = (torch.arange(w1, dtype=torch.float32) + 0.5) / w1
    ell = []
    for cx, cy, bw, bh in base.TARGETS[1]["boxes_rel"]:
        d = ((xs[None, :] - cx) / (bw / 2)) ** 2 + ((ys[:, None] - cy) / (bh / 2)) ** 2
        ell.append(d <= 1)
    return [masks0, torch.stack(ell)]


def mask_head_input(name, shape):
    """synthetic_tensor without its 1/sqrt(fan_in) scale: sin values in [-1, 1]."""
    fan_in = 1
    for d in shape[1:]:
        fan_in *= d
    return base.synthetic_tensor(name, shape) * math.sqrt(fan_in)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="path of a checkout of the MDETR reference")
    ap.add_argument("--out", required=True)
    opts = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    reference_main, build_model, NestedTensor = base.import_reference(os.path.abspath(opts.reference))
    from datasets.coco import create_positive_map
    from models.postprocessors import PostProcessSegm
    cfg = CONFIG

    with tempfile.TemporaryDirectory() as tmp:
        text_dir = base.make_text_encoder_dir(cfg, tmp)
        args = reference_main.get_args_parser().parse_args(
            ["--dataset_config", "unused.json", "--mask_model", "smallconv", "--masks", "--no_contrastive_align_loss"])
        args.device = "cpu"
        args.backbone = cfg["backbone"]
        args.lr_backbone = 1e-5
        for k in ("hidden_dim", "nheads", "enc_layers", "dec_layers", "dim_feedforward", "num_queries"):
            setattr(args, k, cfg[k])
        args.text_encoder_type = text_dir
        args.combine_datasets = ["phrasecut"]
        import torchvision.models
        for arch in ("resnet18", "resnet34", "resnet50", "resnet101"):
            original = getattr(torchvision.models, arch)
            setattr(torchvision.models, arch,
                    lambda *a, _f=original, pretrained=False, **kw: _f(*a, weights=None, **kw))
        model, criterion, _, _, weight_dict = build_model(args)
        from models.segmentation import MaskHeadSmallConv
        model.mask_head = MaskHeadSmallConv(cfg["hidden_dim"] + cfg["nheads"], [256, 128, 64], cfg["hidden_dim"])
        tokenizer = model.detr.transformer.tokenizer

    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(base.synthetic_tensor(name, list(t.shape)))
    model.eval()
    model.double()

    images = base.load_images(cfg)
    samples = NestedTensor.from_tensor_list(images)
    samples = NestedTensor(samples.tensors.double(), samples.mask)
    tok = tokenizer.batch_encode_plus(base.CAPTIONS, padding="longest", return_tensors="pt")
    captured = {}

    def keep_attention(module, inputs, kwargs, output):
        captured["attn.q"], captured["attn.k"] = (t.detach().clone() for t in inputs)
        captured["attn.mask"] = kwargs["mask"].clone()
        captured["attn.out"] = output.detach().clone()

    model.bbox_attention.register_forward_hook(keep_attention, with_kwargs=True)

    g = {"input.images": samples.tensors.float(), "input.mask": samples.mask, "input.input_ids": tok["input_ids"],
         "input.attention_mask": tok["attention_mask"]}
    masks = target_masks(images)
    targets, maps = [], []
    for b, (t, caption) in enumerate(zip(base.TARGETS, base.CAPTIONS)):
        if t.get("size"):
            w, h = t["size"]
            xywh = torch.tensor(t["boxes"], dtype=torch.float32)
            boxes = torch.stack([(xywh[:, 0] + xywh[:, 2] / 2) / w, (xywh[:, 1] + xywh[:, 3] / 2) / h,
                                 xywh[:, 2] / w, xywh[:, 3] / h], dim=1)
        else:
            boxes = torch.tensor(t["boxes_rel"], dtype=torch.float32)
        pmap = create_positive_map(tokenizer(caption, return_tensors="pt"), t["spans"])
        targets.append({"boxes": boxes.double(), "labels": torch.zeros(len(boxes), dtype=torch.int64),
                        "tokens_positive": t["spans"], "masks": masks[b]})
        maps.append(pmap.double())
        g[f"target.{b}.boxes"] = boxes
        g[f"target.{b}.spans"] = torch.tensor([[j, s[0], s[1]] for j, sp in enumerate(t["spans"]) for s in sp])
        g[f"target.{b}.masks"] = masks[b].to(torch.uint8)
    positive_map = torch.cat(maps)

    model.zero_grad()
    out = model(samples, base.CAPTIONS)
    g["out.pred_logits"] = out["pred_logits"].detach()
    g["out.pred_boxes"] = out["pred_boxes"].detach()
    g["out.pred_masks"] = out["pred_masks"].detach()
    for k, v in captured.items():
        g[f"segm.{k}"] = v
    loss_dict = criterion(out, targets, positive_map)
    indices = criterion.matcher({k: v for k, v in out.items() if k != "aux_outputs"}, targets, positive_map)
    for b, (src, tgt) in enumerate(indices):
        g[f"match.{b}.src"] = src
        g[f"match.{b}.tgt"] = tgt
    for k, v in loss_dict.items():
        g[f"loss.{k}"] = v.detach().reshape(1)
    total = sum(loss_dict[k] * weight_dict[k] for k in loss_dict if k in weight_dict)
    g["loss.total"] = total.detach().reshape(1)
    total.backward()
    for name, p in model.named_parameters():
        if not name.startswith(("bbox_attention.", "mask_head.")):
            continue
        grad = p.grad.detach()
        if grad.numel() <= 16384:
            g[f"grad.{name}"] = grad.float()
        else:
            probes = [base.synthetic_tensor(f"{name}:probe{i}", list(grad.shape)) for i in range(3)]
            g[f"gradstat.{name}"] = torch.stack([grad.double().norm(), grad.double().sum()] +
                                                [(grad.double() * pr.double()).sum() for pr in probes])

    # The mask head alone on formula-defined inputs (unit-amplitude sines, the same on both sides),
    # small enough to check it tighter than the whole network's float32 noise allows.
    with torch.no_grad():
        x = mask_head_input("mask_head.input.x", [2, 128, 3, 4]).double()
        attn = mask_head_input("mask_head.input.bbox_mask", [2, 3, 8, 3, 4]).abs().double()
        fpns = [mask_head_input(f"mask_head.input.fpn{i}", [2, c, 3 * 2 ** (i + 1), 4 * 2 ** (i + 1)]).double()
                for i, c in enumerate((256, 128, 64))]
        g["mask_head.output"] = model.mask_head(x, attn, fpns).float()

    # PostProcessSegm: masks to each image's size, sigmoid, > 0.5. max_target_sizes are the
    # un-padded input sizes, orig_target_sizes the sizes to report at.
    input_sizes = torch.tensor([list(im.shape[-2:]) for im in images])
    orig_sizes = torch.tensor(ORIG_SIZES)
    # Fed the stored (float32) pred_masks, the very input the C++ test gives its post-processor.
    results = PostProcessSegm()([{} for _ in images], {"pred_masks": g["out.pred_masks"].float()}, orig_sizes,
                                input_sizes)
    g["post.input_sizes"] = input_sizes
    g["post.orig_sizes"] = orig_sizes
    for b, r in enumerate(results):
        g[f"post.{b}.masks"] = r["masks"].to(torch.uint8)

    g = {k: (v.float() if v.dtype == torch.float64 and not k.startswith(("gradstat.", "loss.", "input."))
             else v).contiguous() for k, v in g.items()}
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    torch.save(g, opts.out)
    print(f"wrote {len(g)} tensors to {opts.out} ({os.path.getsize(opts.out) / 1e6:.2f} MB)")
    for k in sorted(g):
        if k.startswith("loss."):
            print(k, g[k].item())


if __name__ == "__main__":
    main()
