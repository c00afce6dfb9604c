#!/usr/bin/env python3
"""Goldens for the C++ EfficientNet backbones from the reference's TimmBackbone.

Builds the reference's TimmBackbone (timm 0.4.12 `tf_efficientnet_b{3,5}_ns`, features_only,
out_indices (1,2,3,4), every BatchNorm2d replaced by the reference's FrozenBatchNorm2d), fills
every tensor with the formula of model/nn/synthetic_weights.cc under its MDETR state-dict name
(backbone.0.body.*), so no weights are shipped, and runs it with all levels returned on two real
images of different, non-multiple-of-32 sizes batched with a padding mask. Writes the inputs, each
level's features and masks, and the feature channels as a flat {name: tensor} file (torch.save).

  .venv/bin/python tools/parity/model/make_effnet_goldens.py --reference /path/to/mdetr \
      --out tests/data/model/effnet_backbone_goldens.pt
Needs: torch, torchvision, timm==0.4.12, pillow.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens  # noqa: E402  (synthetic_tensor, import_reference, IMAGES)

PREFIX = "backbone.0.body."
# (height, width) of the two images: odd sizes so every stride-2 SAME pad is asymmetric somewhere,
# and the second image is smaller so the batch has padding.
SIZES = [(100, 136), (83, 117)]
MODELS = {"b3": "tf_efficientnet_b3_ns", "b5": "tf_efficientnet_b5_ns"}


def load_inputs(NestedTensor):
    from PIL import Image
    import torchvision.transforms.functional as F
    tensors = []
    for p, size in zip(make_goldens.IMAGES, SIZES):
        if os.path.isdir(p):
            p = os.path.join(p, sorted(f for f in os.listdir(p) if f.endswith(".jpg"))[0])
        img = F.resize(Image.open(p).convert("RGB"), list(size))
        tensors.append(F.normalize(F.to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
    return NestedTensor.from_tensor_list(tensors)


def build_backbone(name):
    import models.backbone as ref_backbone
    import timm
    real_create = ref_backbone.create_model
    # The reference asks for the ImageNet weights (a download); every tensor is overwritten below.
    ref_backbone.create_model = lambda *a, **kw: real_create(*a, **{**kw, "pretrained": False})
    try:
        backbone = ref_backbone.TimmBackbone(name, return_interm_layers=True)
    finally:
        ref_backbone.create_model = real_create
    assert timm.__version__ == "0.4.12", timm.__version__
    with torch.no_grad():
        for key, t in backbone.body.state_dict().items():
            if t.is_floating_point():
                t.copy_(make_goldens.synthetic_tensor(PREFIX + key, list(t.shape)))
    return backbone.eval()


# Parameters whose gradients are recorded in full (small ones, from the stem to the last stage).
GRAD_PARAMS = ["conv_stem.weight", "blocks.0.0.se.conv_reduce.weight", "blocks.0.0.se.conv_reduce.bias",
               "blocks.2.0.conv_dw.weight", "blocks.5.0.conv_dw.weight", "blocks.6.1.se.conv_expand.bias"]


def gradient_goldens(backbone, samples):
    """Gradients of sum_i <level_i, probe_i> (the reference trains the whole timm backbone)."""
    backbone.zero_grad()
    with torch.enable_grad():
        levels = list(backbone(samples).values())
        loss = sum((lv.tensors * make_goldens.synthetic_tensor(f"probe.layer{i}", list(lv.tensors.shape))).sum()
                   for i, lv in enumerate(levels))
        loss.backward()
    params = dict(backbone.body.named_parameters())
    g = {"b3.grad.loss": loss.detach().reshape(1),
         "b3.grad.num_params": torch.tensor(sum(1 for p in params.values() if p.grad is not None))}
    for name in GRAD_PARAMS:
        g[f"b3.grad.{name}"] = params[name].grad.detach().clone()
    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="path of a checkout of the MDETR reference")
    ap.add_argument("--out", required=True, help="goldens file to write (torch.save of a flat dict)")
    ap.add_argument("--models", default="b3,b5", help="comma-separated subset of " + ",".join(MODELS))
    opts = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    _, _, NestedTensor = make_goldens.import_reference(os.path.abspath(opts.reference))
    samples = load_inputs(NestedTensor)
    g = {"input.images": samples.tensors, "input.mask": samples.mask}
    for tag in opts.models.split(","):
        backbone = build_backbone(MODELS[tag])
        g[f"{tag}.channels"] = torch.tensor(backbone.body.feature_info.channels())
        g[f"{tag}.num_keys"] = torch.tensor(len(backbone.body.state_dict()))
        with torch.no_grad():
            levels = backbone(samples)
        for i, level in enumerate(levels.values()):
            # Only the last level feeds MDETR's transformer; lower levels feed the mask head. B5
            # keeps the last one only, to keep the file small.
            if tag == "b3" or i == len(levels) - 1:
                g[f"{tag}.layer{i}.features"] = level.tensors
                g[f"{tag}.layer{i}.mask"] = level.mask
        g[f"{tag}.num_levels"] = torch.tensor(len(levels))
        if tag == "b3":
            g.update(gradient_goldens(backbone, samples))
        print(tag, [tuple(v.tensors.shape) for v in levels.values()],
              "last level |max|", float(list(levels.values())[-1].tensors.abs().max()))
    g = {k: v.contiguous() for k, v in g.items()}
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    torch.save(g, opts.out)
    print(f"wrote {len(g)} tensors to {opts.out} ({os.path.getsize(opts.out) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
