#!/usr/bin/env python3
"""Makes the transform goldens used by tests/grounding/transform_parity_test.cc.

Runs the MDETR reference's own transforms (datasets/transforms.py via make_coco_transforms(...,
cautious=True), the pipeline of every MDETR grounding dataset) on the real images under
../shared/data, and records for each case:
  * the input boxes (xyxy pixels, as ConvertCocoPolysToMask leaves them) and one caption span per box,
  * every random draw the reference took, in order: random.random (RandomSelect), random.choice
    (RandomResize, stored as the index), random.randint (RandomSizeCrop width/height) and the crop
    offsets of T.RandomCrop.get_params (top, left; stored as randint),
  * the output: size, CRC-32 of the 8-bit image after the last resize (HWC bytes, before ToTensor),
    per-channel sums of the normalised tensor, 64 normalised values at fixed positions, the boxes in
    normalised cx,cy,w,h, and which input boxes (hence spans) survived.
The C++ test replays the draws through our transforms and compares.

It also writes tests/data/grounding/real_images.json: the same images, boxes and spans as an MDETR
annotation file (file_name relative to ../shared/data), for the dataset/loader tests and
bench/loader.

Run from the repository root:
  PYTHONPATH=/tmp/mdetr_ref .venv/bin/python tools/parity/images/make_transform_goldens.py
(/tmp/mdetr_ref: a checkout of github.com/ashkamath/mdetr, commit ea09acc).
"""
import json
import math
import random
import sys
import zlib

import numpy as np
import torch
import torchvision.transforms as TV
from PIL import Image

import datasets.transforms as RT  # the reference's transforms module
from datasets.coco import make_coco_transforms

SHARED = "../shared/data"
OUT = "tests/data/grounding/transform_goldens.json"
ANNOTATIONS = "tests/data/grounding/real_images.json"
PHRASES = ["a person", "the left thing", "something small", "the corner"]

IMAGES = [
    "flickr30k_entities/images/100652400.jpg",
    "flickr30k_entities/images/1016887272.jpg",
    "flickr30k_entities/images/101958970.jpg",
    "flickr30k_entities/images/3359636318.jpg",
    "flickr30k_entities/images/4945942737.jpg",
    "flickr30k_entities/images/6338542128.jpg",
    "flickr30k_entities/images/6959556104.jpg",
    "flickr30k_entities/images/7162685234.jpg",
    "gqa/images/n166008.jpg",
    "gqa/images/n578564.jpg",
    "vqav2/images/COCO_train2014_000000458752.jpg",
    "vqav2/images/COCO_val2014_000000262148.jpg",
    "vqav2/images/COCO_val2014_000000393225.jpg",
    "coco/000000039769.png",
]


class Recorder:
    """Stands in for the `random` module inside the reference's transforms and logs each draw."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.draws = []

    def random(self):
        v = self.rng.random()
        self.draws.append(["uniform", v])
        return v

    def choice(self, seq):
        i = self.rng.randrange(len(seq))
        self.draws.append(["choice", i])
        return seq[i]

    def randint(self, a, b):
        v = self.rng.randint(a, b)
        self.draws.append(["randint", v])
        return v


RECORDER = None
_orig_get_params = TV.RandomCrop.get_params


def recorded_get_params(img, output_size):
    i, j, h, w = _orig_get_params(img, output_size)
    RECORDER.draws.append(["randint", int(i)])
    RECORDER.draws.append(["randint", int(j)])
    return i, j, h, w


TV.RandomCrop.get_params = staticmethod(recorded_get_params)


def boxes_for(path, w, h):
    """Real COCO boxes for the COCO image; elsewhere fixed fractions of the image (some at the edges)."""
    if path.startswith("coco/"):
        anns = json.load(open(f"{SHARED}/coco/coco_annotations_000000039769.txt"))
        b = [a["bbox"] for a in anns]
    else:
        fr = [(0.1, 0.2, 0.3, 0.4), (0.5, 0.05, 0.45, 0.6), (0.0, 0.7, 0.25, 0.3), (0.8, 0.8, 0.2, 0.2)]
        b = [[x * w, y * h, bw * w, bh * h] for x, y, bw, bh in fr]
    t = torch.as_tensor(b, dtype=torch.float32).reshape(-1, 4)
    t[:, 2:] += t[:, :2]
    t[:, 0::2].clamp_(min=0, max=w)
    t[:, 1::2].clamp_(min=0, max=h)
    return t


def caption_and_spans(n):
    words = [PHRASES[k % len(PHRASES)] for k in range(n)]
    caption, spans = "", []
    for k, p in enumerate(words):
        if k:
            caption += " and "
        spans.append([[len(caption), len(caption) + len(p)]])
        caption += p
    return caption, spans


def spans_for(n):
    return caption_and_spans(n)[1]


def write_annotations():
    images, anns = [], []
    for k, path in enumerate(IMAGES):
        img = Image.open(f"{SHARED}/{path}")
        w, h = img.size
        boxes = boxes_for(path, w, h)
        caption, spans = caption_and_spans(len(boxes))
        images.append({"id": k + 1, "file_name": path, "width": w, "height": h, "caption": caption,
                       "dataset_name": "real", "tokens_positive_eval": spans})
        for b, s in zip(boxes.tolist(), spans):
            bbox = [b[0], b[1], b[2] - b[0], b[3] - b[1]]
            anns.append({"id": len(anns) + 1, "image_id": k + 1, "bbox": bbox, "area": bbox[2] * bbox[3],
                         "iscrowd": 0, "category_id": 1, "tokens_positive": s})
    with open(ANNOTATIONS, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": [{"id": 1, "name": "object"}]}, f)


def sample_positions(c, h, w, n=64, seed=7):
    g = random.Random(seed * 1000003 + h * 7919 + w)
    return [[g.randrange(c), g.randrange(h), g.randrange(w)] for _ in range(n)]


def run_case(path, train, seed):
    global RECORDER
    img = Image.open(f"{SHARED}/{path}").convert("RGB")
    w, h = img.size
    boxes = boxes_for(path, w, h)
    n = len(boxes)
    spans = spans_for(n)
    target = {"boxes": boxes, "labels": torch.arange(n), "iscrowd": torch.zeros(n, dtype=torch.int64),
              "area": (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])}
    pipeline = make_coco_transforms("train" if train else "val", cautious=True)
    geometric, normalize = pipeline.transforms[0], pipeline.transforms[1]
    RECORDER = Recorder(seed)
    RT.random = RECORDER
    out_img, out_t = geometric(img, target)
    tensor, norm_t = normalize(out_img, out_t)
    arr = np.asarray(out_img, dtype=np.uint8)
    c, oh, ow = tensor.shape
    pos = sample_positions(c, oh, ow)
    kept = [int(i) for i in norm_t["labels"]]
    return {
        "image": path,
        "train": train,
        "seed": seed,
        "boxes_in": boxes.tolist(),
        "spans_in": spans,
        "draws": RECORDER.draws,
        "height": oh,
        "width": ow,
        "crc32": zlib.crc32(arr.tobytes()),
        "channel_sums": tensor.double().sum(dim=(1, 2)).tolist(),
        "positions": pos,
        "values": [float(tensor[p[0], p[1], p[2]]) for p in pos],
        "boxes_out": norm_t["boxes"].tolist(),
        "kept": kept,
    }


def resize_cases():
    """PIL's bilinear resize alone, at factors the transforms never reach: strong shrinking (the
    filter widens to many taps), one axis only, aspect changes, tiny outputs.

    Only sizes whose height shrinks no more than their width: Pillow 13 (python-pillow/Pillow#9549)
    runs the vertical pass first when the height is scaled down significantly more than the width,
    which changes the rounding of the intermediate image. The transforms keep the aspect ratio, so
    they never meet that case; our resampler implements the horizontal-first order of every Pillow
    release before 13."""
    out = []
    for path in IMAGES[:3] + IMAGES[-1:]:
        img = Image.open(f"{SHARED}/{path}").convert("RGB")
        w0, h0 = img.size
        sizes = [(499, h0), (w0, 374), (1333, h0), (w0, 17), (37, 501), (1333, 900), (w0 + 1, h0 + 1)]
        for f, extra in [(0.2, 0), (0.2, 40), (0.5, 3), (0.77, 0), (0.77, 90), (0.9, 11), (1.6, 0), (2.13, 5)]:
            w = max(1, round(w0 * f))
            sizes.append((w, math.ceil(h0 * w / w0) + extra))  # h / h0 >= w / w0
        for w, h in sizes:
            assert h / h0 >= w / w0 or h >= h0 or w == w0, (w, h)
            arr = np.asarray(img.resize((w, h), Image.BILINEAR), dtype=np.uint8)
            out.append({"image": path, "width": w, "height": h, "crc32": zlib.crc32(arr.tobytes())})
    return out


def crop_cases():
    """The reference's crop() on regions that cut some boxes out: the boxes it keeps (clipped, in
    pixels of the crop) and which ones, so that the spans dropped with them can be checked."""
    out = []
    for path in [IMAGES[0], IMAGES[9], IMAGES[-1]]:
        img = Image.open(f"{SHARED}/{path}").convert("RGB")
        w, h = img.size
        boxes = boxes_for(path, w, h)
        n = len(boxes)
        for region in [(0, 0, h // 2, w // 2), (h // 3, w // 3, h - h // 3, w - w // 3), (h // 2, 0, h - h // 2, w),
                       (10, 20, 100, 150)]:
            target = {"boxes": boxes, "labels": torch.arange(n), "iscrowd": torch.zeros(n, dtype=torch.int64),
                      "area": (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])}
            cimg, t = RT.crop(img, target, region)
            arr = np.asarray(cimg, dtype=np.uint8)
            out.append({"image": path, "region": list(region), "boxes_in": boxes.tolist(), "spans_in": spans_for(n),
                        "boxes_out": t["boxes"].tolist(), "kept": [int(i) for i in t["labels"]],
                        "crc32": zlib.crc32(arr.tobytes())})
    return out


def main():
    cases = []
    for k, path in enumerate(IMAGES):
        cases.append(run_case(path, False, 0))
        for s in range(3):
            cases.append(run_case(path, True, 100 * k + s))
    write_annotations()
    crops = sum(1 for c in cases if c["train"] and c["draws"][0][1] >= 0.5)
    with open(OUT, "w") as f:
        json.dump({"reference": "ashkamath/mdetr ea09acc datasets/transforms.py, make_coco_transforms cautious=True",
                   "cases": cases, "resizes": resize_cases(),
                   "crops": crop_cases()}, f, separators=(",", ":"))
    print(f"{len(cases)} cases ({crops} through the crop branch) -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
