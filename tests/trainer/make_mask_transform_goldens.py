#!/usr/bin/env python3
"""Makes tests/trainer/data/mask_transform_goldens.json for mask_transform_test.cc.

Runs the MDETR reference's own code on the real COCO image 39769 and its 6 instance polygons
(../shared/data/coco): ConvertCocoPolysToMask's rasterisation (pycocotools) and the transform
functions resize() and crop() of datasets/transforms.py, which carry target["masks"] along with the
boxes. Records, run-length encoded (row-major, first run = zeros):
  * the reference's masks at the original size (the input of our transforms, and the yardstick for
    our polygon fill),
  * per case, the fixed resize/crop parameters, the output size, which instances survived (labels
    = input indices) and their masks.

Run from the repository root:
  PYTHONPATH=/tmp/mdetr_ref .venv/bin/python tests/trainer/make_mask_transform_goldens.py
(/tmp/mdetr_ref: a checkout of github.com/ashkamath/mdetr, commit ea09acc).
"""
import json

import numpy as np
import torch
from PIL import Image

import datasets.transforms as RT
from datasets.coco import convert_coco_poly_to_mask

SHARED = "../shared/data/coco"
OUT = "tests/trainer/data/mask_transform_goldens.json"


def rle(mask):
    flat = mask.reshape(-1).numpy().astype(np.uint8)
    runs, value, count = [], 0, 0
    for v in flat:
        if v == value:
            count += 1
        else:
            runs.append(count)
            value, count = v, 1
    runs.append(count)
    return runs


def main():
    anns = json.load(open(f"{SHARED}/coco_annotations_000000039769.txt"))
    image = Image.open(f"{SHARED}/000000039769.png").convert("RGB")
    w, h = image.size
    masks = convert_coco_poly_to_mask([a["segmentation"] for a in anns], h, w)
    boxes = torch.as_tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    boxes[:, 0::2].clamp_(min=0, max=w)
    boxes[:, 1::2].clamp_(min=0, max=h)

    # (kind, parameters) steps, applied in order.
    cases = [
        [("resize", 96, 128)],
        [("resize", 240, 400)],
        [("resize", 300, -1), ("crop", 40, 150, 200, 250), ("resize", 96, 128)],
        [("crop", 100, 300, 200, 250), ("resize", 128, 160)],
    ]
    out = {
        "width": w,
        "height": h,
        "boxes": boxes.tolist(),
        "polygons": [a["segmentation"] for a in anns],
        "masks": [rle(m) for m in masks],
        "cases": [],
    }
    for steps in cases:
        img = image
        target = {"boxes": boxes.clone(), "masks": masks.clone().bool(), "labels": torch.arange(len(anns))}
        for step in steps:
            if step[0] == "resize":
                img, target = RT.resize(img, target, step[1], None if step[2] < 0 else step[2])
            else:
                img, target = RT.crop(img, target, step[1:])
        ow, oh = img.size
        out["cases"].append({
            "steps": [list(s) for s in steps],
            "width": ow,
            "height": oh,
            "kept": target["labels"].tolist(),
            "masks": [rle(m) for m in target["masks"]],
        })
    with open(OUT, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
