#!/usr/bin/env python3
"""Makes tests/data/eval/coco_polygon.json for tests/eval/coco_polygon_test.cc.

pycocotools' rasterisation of polygons (frPyObjects, as the MDETR reference's
ConvertCocoPolysToMask calls it) on:
  * a few hundred seeded random annotations: convex, star-shaped (concave) and self-intersecting
    polygons, tiny to larger than the image, integer, one/two-decimal (COCO-like), grid-edge
    (multiples of 0.1 and 0.5) and full-precision coordinates, vertices outside the image,
    3-point polygons, repeated closing vertices, one to four polygons per annotation;
  * the six instances of the real COCO image 39769 (../shared/data/coco).
For each annotation: the image size, its polygons, pycocotools' compressed RLE string of each
polygon, and that of the union (decode, any over the polygons: the reference's training mask).

Run from the repository root:
  .venv/bin/python tools/parity/eval/make_coco_polygon_goldens.py
"""
import json
import math
import random

import numpy as np
from pycocotools import mask as coco_mask

OUT = "tests/data/eval/coco_polygon.json"
COCO = "../shared/data/coco"


def coords(rng, style, v):
    if style == "int":
        return float(round(v))
    if style == "dec1":
        return round(v, 1)
    if style == "dec2":
        return round(v, 2)
    if style == "half":
        return round(v * 2) / 2
    if style == "tenth":
        return round(v * 10) / 10
    return v  # full double precision


def random_polygon(rng, h, w):
    kind = rng.choice(["convex", "star", "random", "triangle", "tiny", "huge"])
    style = rng.choice(["int", "dec1", "dec2", "half", "tenth", "full"])
    cx = rng.uniform(-0.2 * w, 1.2 * w)
    cy = rng.uniform(-0.2 * h, 1.2 * h)
    scale = max(h, w)
    if kind == "tiny":
        r = rng.uniform(0.1, 2.5)
    elif kind == "huge":
        r = rng.uniform(0.6, 1.5) * scale
    else:
        r = rng.uniform(0.05, 0.6) * scale
    if kind == "triangle":
        n = 3
    else:
        n = rng.randint(3, 14)
    pts = []
    if kind == "random":
        for _ in range(n):
            pts.append((cx + rng.uniform(-r, r), cy + rng.uniform(-r, r)))
    else:
        angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
        for k, a in enumerate(angles):
            rr = r if kind != "star" else r * (1.0 if k % 2 == 0 else rng.uniform(0.2, 0.7))
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    if rng.random() < 0.5:
        pts.reverse()  # both orientations
    flat = []
    for x, y in pts:
        flat += [coords(rng, style, x), coords(rng, style, y)]
    if rng.random() < 0.15:
        flat += flat[:2]  # closing vertex repeated, as in many COCO annotations
    return kind + "/" + style, flat


def rasterise(polygons, h, w):
    rles = coco_mask.frPyObjects(polygons, h, w)
    each = [r["counts"].decode("ascii") for r in rles]
    union = coco_mask.decode(rles).any(axis=2).astype(np.uint8)
    merged = coco_mask.encode(np.asfortranarray(union))["counts"].decode("ascii")
    return each, merged


def main():
    rng = random.Random(39769)
    cases = []
    for i in range(320):
        h = rng.choice([rng.randint(1, 12), rng.randint(13, 80), rng.randint(81, 240)])
        w = rng.choice([rng.randint(1, 12), rng.randint(13, 80), rng.randint(81, 240)])
        count = rng.choice([1, 1, 1, 2, 3, 4])
        names, polygons = [], []
        for _ in range(count):
            name, flat = random_polygon(rng, h, w)
            names.append(name)
            polygons.append(flat)
        each, merged = rasterise(polygons, h, w)
        cases.append({"name": f"random {i}: " + ", ".join(names), "height": h, "width": w,
                      "polygons": polygons, "rles": each, "union": merged})
    anns = json.load(open(f"{COCO}/coco_annotations_000000039769.txt"))
    h, w = 480, 640
    for a in anns:
        polygons = a["segmentation"]
        each, merged = rasterise(polygons, h, w)
        cases.append({"name": f"coco 39769 annotation {a['id']}", "height": h, "width": w,
                      "polygons": polygons, "rles": each, "union": merged})
    with open(OUT, "w") as f:
        json.dump({"source": "pycocotools frPyObjects/decode", "cases": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
