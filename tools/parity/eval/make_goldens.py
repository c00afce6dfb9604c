#!/usr/bin/env python3
"""Runs the official evaluation code on seeded inputs and stores the inputs and its outputs as
goldens for tests/eval (tests/data/eval/*.txt).

  * COCO box AP: pycocotools' COCOeval (PyPI), driven as MDETR's CocoEvaluator drives it;
  * LVIS fixed / standard AP: MDETR's datasets/lvis_eval.py (LvisEvaluatorFixedAP, its vendored
    LVIS API);
  * RefExp / CLEVR-Ref+: MDETR's RefExpEvaluator / ClevrRefEvaluator;
  * PhraseCut: MDETR's PhrasecutEvaluator machinery (phrasecut_utils Evaluator + RefVGLoader), and
    Pillow's ImageDraw.polygon directly for the rasteriser;
  * GQA / CLEVR: MDETR's QACriterionGQA / QACriterionClevr over the whole split as one batch.

Usage (torch comes from the project's .venv, pycocotools from a venv of its own):
  python3 -m venv /tmp/venv-eval && /tmp/venv-eval/bin/pip install pycocotools
  .venv/bin/python tools/parity/eval/make_goldens.py --mdetr /tmp/mdetr_ref \
      --site /tmp/venv-eval/lib/python3.11/site-packages
"""
import argparse
import ast
import contextlib
import copy
import glob
import importlib
import io
import json
import os
import sys
import tempfile
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
OUT = os.path.join(ROOT, "tests", "data", "eval")


def fmt(v):
    return repr(float(v))


class Golden:
    """Line-oriented text: '<key> <values...>'; read back by tests/eval/golden_text.h."""

    def __init__(self, name, header):
        self.path = os.path.join(OUT, name)
        self.lines = ["# " + line for line in header.strip().splitlines()]

    def row(self, key, *values):
        self.lines.append(" ".join([key] + [v if isinstance(v, str) else fmt(v) if isinstance(v, float) else str(v)
                                           for v in values]))

    def save(self):
        with open(self.path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        print("wrote", os.path.relpath(self.path, ROOT), os.path.getsize(self.path), "bytes")


def setup_reference(mdetr, site):
    sys.path.insert(0, site)
    sys.path.insert(0, mdetr)
    import torch

    # The reference predates numpy 2 and torch 2: small shims, no behaviour change.
    if not hasattr(np, "float"):
        np.float = float
    sys.modules.setdefault("torch._six", types.ModuleType("torch._six"))
    tv = types.ModuleType("torchvision")
    tv_ops = types.ModuleType("torchvision.ops")
    tv_boxes = types.ModuleType("torchvision.ops.boxes")
    tv_boxes.box_area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # torchvision's definition
    tv.ops, tv_ops.boxes = tv_ops, tv_boxes
    tv.datasets = types.SimpleNamespace(VisionDataset=object)  # only subclassed by dataset classes
    sys.modules.update({"torchvision": tv, "torchvision.ops": tv_ops, "torchvision.ops.boxes": tv_boxes})
    # The datasets package __init__ pulls in every dataset (transformers, torchvision); load the
    # evaluation modules through a bare package on the same folder instead.
    pkg = types.ModuleType("refds")
    pkg.__path__ = [os.path.join(mdetr, "datasets")]
    sys.modules["refds"] = pkg
    # lvis.py imports the training-data pipeline (.coco) for its dataset classes only.
    coco_stub = types.ModuleType("refds.coco")
    coco_stub.ConvertCocoPolysToMask = coco_stub.make_coco_transforms = None
    sys.modules["refds.coco"] = coco_stub
    return torch


def classes_from(path, names, namespace):
    """Compiles only the named classes of a reference file (its imports need the whole model)."""
    tree = ast.parse(open(path).read())
    body = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in names]
    code = compile(ast.Module(body=body, type_ignores=[]), path, "exec")
    exec(code, namespace)
    return [namespace[n] for n in names]


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


# ----------------------------------------------------------------------------------------------
# COCO


def jitter_box(rng, box, scale):
    x, y, w, h = box
    return [x + rng.normal(0, scale * max(w, 1)), y + rng.normal(0, scale * max(h, 1)),
            max(0.5, w * (1 + rng.normal(0, scale))), max(0.5, h * (1 + rng.normal(0, scale)))]


def make_detections(rng, gt, cat_ids, fp_per_image=3, extra=None):
    dets = []
    for img in gt["images"]:
        anns = [a for a in gt["annotations"] if a["image_id"] == img["id"]]
        for a in anns:
            if a.get("iscrowd"):  # several detections inside a crowd region, all absorbed by it
                x, y, w, h = a["bbox"]
                for _ in range(3):
                    dets.append([img["id"], a["category_id"], x + rng.uniform(0, w / 2), y + rng.uniform(0, h / 2),
                                 rng.uniform(w / 4, w / 2), rng.uniform(h / 4, h / 2), float(rng.random())])
            if rng.random() < 0.75:
                cat = a["category_id"] if rng.random() < 0.85 else int(rng.choice(cat_ids))
                dets.append([img["id"], cat] + jitter_box(rng, a["bbox"], rng.choice([0.03, 0.1, 0.25])) +
                            [float(rng.random())])
        for _ in range(int(rng.integers(0, fp_per_image + 1))):
            w, h = rng.uniform(4, img["width"] / 2), rng.uniform(4, img["height"] / 2)
            dets.append([img["id"], int(rng.choice(cat_ids)), rng.uniform(0, img["width"] - w),
                         rng.uniform(0, img["height"] - h), w, h, float(rng.random())])
    return dets


def coco_stats(gt_dict, dets, img_ids, use_cats):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with quiet():
        gt = COCO()
        gt.dataset = copy.deepcopy(gt_dict)
        gt.createIndex()
        results = [{"image_id": d[0], "category_id": d[1], "bbox": d[2:6], "score": d[6]} for d in dets
                   if d[0] in set(img_ids)]
        dt = gt.loadRes(results) if results else COCO()  # as MDETR's CocoEvaluator.update
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.imgIds = list(img_ids)
        ev.params.useCats = use_cats
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats]


def synthetic_coco_gt(rng):
    gt = {"images": [], "annotations": [], "categories": [{"id": c, "name": "c%d" % c} for c in (1, 2, 3, 5, 8)]}
    ann_id = 1
    for i in range(40):
        img = {"id": 1000 + i, "width": 640, "height": 480, "file_name": "s%d.jpg" % i}
        gt["images"].append(img)
        if i % 8 == 7:
            continue  # images without ground truth
        for _ in range(int(rng.integers(1, 7))):
            w, h = float(rng.choice([rng.uniform(5, 30), rng.uniform(30, 95), rng.uniform(95, 300)])), 0.0
            h = float(rng.uniform(0.5, 1.5) * w)
            x, y = float(rng.uniform(0, 640 - w)), float(rng.uniform(0, max(1, 480 - h)))
            crowd = 1 if rng.random() < 0.1 else 0
            gt["annotations"].append({"id": ann_id, "image_id": img["id"], "category_id": int(rng.choice([1, 2, 3, 5, 8])),
                                      "bbox": [x, y, w, h], "area": w * h * float(rng.uniform(0.6, 1.0)),
                                      "iscrowd": crowd})
            ann_id += 1
    return gt


def coco_goldens(rng):
    g = Golden("coco.txt", """
COCO box AP goldens: pycocotools COCOeval (bbox) on seeded detections.
gt_synthetic: the synthetic ground truth (tests/data/eval/coco_synthetic_gt.json, crowd regions,
images without ground truth); gt_lvis: ../shared/data/lvis/lvis_val_100.json read as COCO;
gt_39769: the real COCO annotations of ../shared/data/coco (categories listed in cats_39769).
det <set> <image_id> <category_id> <x> <y> <w> <h> <score>
images <set> <case> <image ids evaluated>
stats <set> <case> <use_cats> <AP AP50 AP75 APs APm APl AR1 AR10 AR100 ARs ARm ARl>""")
    sets = {}
    synth = synthetic_coco_gt(rng)
    with open(os.path.join(OUT, "coco_synthetic_gt.json"), "w") as f:
        json.dump(synth, f)
    sets["synthetic"] = synth
    lvis = json.load(open(os.path.join(DATA, "lvis", "lvis_val_100.json")))
    lvis_coco = {"images": lvis["images"], "categories": lvis["categories"],
                 "annotations": [dict(a, iscrowd=0) for a in lvis["annotations"]]}
    sets["lvis"] = lvis_coco
    anns = json.load(open(os.path.join(DATA, "coco", "coco_annotations_000000039769.txt")))
    cats = sorted({a["category_id"] for a in anns})
    g.row("cats_39769", *cats)
    sets["39769"] = {"images": [{"id": 39769, "width": 640, "height": 480, "file_name": "000000039769.png"}],
                     "annotations": anns, "categories": [{"id": c, "name": str(c)} for c in cats]}
    for name, gt in sets.items():
        cat_ids = [c["id"] for c in gt["categories"]]
        used = sorted({a["category_id"] for a in gt["annotations"]}) or cat_ids
        dets = make_detections(rng, gt, used if name == "lvis" else cat_ids)
        if name == "39769":  # more, overlapping detections on the one image
            dets += make_detections(rng, gt, cat_ids) + make_detections(rng, gt, cat_ids)
        # a few exact score ties, the order pycocotools keeps (mergesort) must be ours too
        for d in dets[::17]:
            d[6] = 0.5
        for d in dets:
            g.row("det", name, d[0], d[1], *[float(v) for v in d[2:]])
        all_ids = sorted(im["id"] for im in gt["images"])
        cases = {"all": all_ids}
        if name != "39769":
            cases["subset"] = all_ids[::3]
        for case, ids in cases.items():
            g.row("images", name, case, *ids)
            for use_cats in (1, 0):
                g.row("stats", name, case, use_cats, *coco_stats(gt, dets, ids, use_cats))
        g.row("images", name, "nodets", *all_ids)
        g.row("stats", name, "nodets", 1, *coco_stats(gt, [], all_ids, 1))
    g.save()


# ----------------------------------------------------------------------------------------------
# LVIS


def lvis_goldens(rng, torch):
    lvis_eval = importlib.import_module("refds.lvis_eval")
    dist = importlib.import_module("util.dist")
    gt_path = os.path.join(DATA, "lvis", "lvis_val_100.json")
    with quiet():
        gt = lvis_eval.LVIS(gt_path)
    data = json.load(open(gt_path))
    cat_ids = [c["id"] for c in data["categories"]]
    g = Golden("lvis.txt", """
LVIS goldens: MDETR's LvisEvaluatorFixedAP on ../shared/data/lvis/lvis_val_100.json.
det <rank> <image_id> <category_id> <x> <y> <w> <h> <score>: xywh as the reference's prepare() made
  them from float32 xyxy tensors; rank 0 and 1 are two ranks' updates (one update per image).
stats <case> <top_k or max_dets> <AP AP50 AP75 APs APm APl APr APc APf AR ARs ARm ARl>""")
    per_image = []  # (rank, image_id, xyxy float32, scores, labels)
    for k, img in enumerate(data["images"]):
        anns = [a for a in data["annotations"] if a["image_id"] == img["id"]]
        rows = []
        for a in anns:
            for _ in range(int(rng.integers(0, 3))):
                cat = a["category_id"] if rng.random() < 0.8 else int(rng.choice(cat_ids))
                rows.append((jitter_box(rng, a["bbox"], rng.choice([0.03, 0.1, 0.3])), cat))
        for pool in (img.get("neg_category_ids", []), img.get("not_exhaustive_category_ids", []), cat_ids):
            if pool:
                for _ in range(int(rng.integers(0, 4))):
                    w, h = rng.uniform(2, img["width"] / 2), rng.uniform(2, img["height"] / 2)
                    rows.append(([rng.uniform(0, img["width"] - w), rng.uniform(0, img["height"] - h), w, h],
                                 int(rng.choice(pool))))
        if k in (3, 10):  # over the 300 per-image limit of the standard protocol
            for _ in range(320):
                w, h = rng.uniform(2, 100), rng.uniform(2, 100)
                rows.append(([rng.uniform(0, img["width"] - w), rng.uniform(0, img["height"] - h), w, h],
                             int(rng.choice(cat_ids))))
        if k == 5:
            rows.append(([10.0, 10.0, 0.0, 5.0], cat_ids[0]))  # zero area: dropped by get_ann_ids
        xyxy = torch.tensor([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b, _ in rows], dtype=torch.float32).view(-1, 4)
        scores = torch.tensor(rng.random(len(rows)), dtype=torch.float32)
        labels = torch.tensor([c for _, c in rows], dtype=torch.int64)
        per_image.append((k % 2, img["id"], {"boxes": xyxy, "scores": scores, "labels": labels}))

    probe = lvis_eval.LvisEvaluatorFixedAP(gt)
    for rank, image_id, pred in per_image:
        for d in probe.prepare([(image_id, pred)]):
            g.row("det", str(rank), d["image_id"], d["category_id"], *[float(v) for v in d["bbox"]], float(d["score"]))

    def run(fixed, topk, use):
        ranks = [lvis_eval.LvisEvaluatorFixedAP(gt, topk=topk, fixed_ap=fixed) for _ in range(2)]
        if use:
            for rank, image_id, pred in per_image:
                ranks[rank].update([(image_id, pred)])
        state = [r.by_cat for r in ranks] if fixed else [r.results for r in ranks]
        original = dist.all_gather
        lvis_eval.dist.all_gather = lambda data: state
        try:
            ranks[0].synchronize_between_processes()
        finally:
            lvis_eval.dist.all_gather = original
        captured = {}
        original_run = lvis_eval.LVISEval.run

        def capture(self):
            with quiet():
                original_run(self)
            captured["r"] = self.results

        lvis_eval.LVISEval.run = capture
        try:
            with quiet():
                ranks[0].summarize()
        finally:
            lvis_eval.LVISEval.run = original_run
        r = captured["r"]
        ar_key = [k for k in r if k.startswith("AR@")][0]
        md = ar_key.split("@")[1]
        return [r[k] for k in ("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf")] + \
               [r[ar_key], r["ARs@" + md], r["ARm@" + md], r["ARl@" + md]]

    g.row("stats", "fixed", 10000, *run(True, 10000, True))
    g.row("stats", "fixed", 5, *run(True, 5, True))
    g.row("stats", "standard", 300, *run(False, 10000, True))
    g.save()


# ----------------------------------------------------------------------------------------------
# RefExp and CLEVR-Ref+


def refexp_goldens(rng, torch, mdetr):
    from pycocotools.coco import COCO

    dist = importlib.import_module("util.dist")
    box_ops = importlib.import_module("util.box_ops")
    ns = {"copy": copy, "torch": torch, "dist": dist, "generalized_box_iou": box_ops.generalized_box_iou}
    RefExpEvaluator, = classes_from(os.path.join(mdetr, "datasets", "refexp.py"), ["RefExpEvaluator"], ns)
    ClevrRefEvaluator, = classes_from(os.path.join(mdetr, "datasets", "clevrref.py"), ["ClevrRefEvaluator"], ns)

    g = Golden("refexp.txt", """
RefExp goldens: MDETR's RefExpEvaluator (refexp_gt.json) and ClevrRefEvaluator (clevrref_gt.json).
pred <protocol> <image_id> then score x0 y0 x1 y1 for each query (float32 values)
result <protocol> <group> <P@1> <P@5> <P@10>""")
    for protocol, evaluator_cls, n_images in (("refcoco", RefExpEvaluator, 90), ("clevrref", ClevrRefEvaluator, 40)):
        gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "object"}]}
        names = ["refcoco", "refcoco+", "refcocog"]
        ann_id = 1
        for i in range(n_images):
            img = {"id": 5000 + i, "width": 640, "height": 480, "file_name": "r%d.jpg" % i,
                   "dataset_name": names[i % 3] if protocol == "refcoco" else "clevrref", "caption": "the thing"}
            gt["images"].append(img)
            n_boxes = 1 if protocol == "refcoco" or i % 5 else 2  # CLEVR-Ref+ skips entries with 2
            for _ in range(n_boxes):
                w, h = float(rng.uniform(20, 200)), float(rng.uniform(20, 200))
                gt["annotations"].append({"id": ann_id, "image_id": img["id"], "category_id": 1, "iscrowd": 0,
                                          "bbox": [float(rng.uniform(0, 400)), float(rng.uniform(0, 250)), w, h],
                                          "area": w * h})
                ann_id += 1
        with open(os.path.join(OUT, protocol + "_gt.json"), "w") as f:
            json.dump(gt, f)
        with quiet():
            coco = COCO()
            coco.dataset = gt
            coco.createIndex()
        predictions = {}
        for img in gt["images"]:
            target = [a for a in gt["annotations"] if a["image_id"] == img["id"]][0]["bbox"]
            boxes = []
            quality = rng.choice([0.05, 0.3, 0.6, 1.0])
            for _ in range(12):
                x, y, w, h = jitter_box(rng, target, quality * rng.uniform(0.5, 1.5))
                boxes.append([x, y, x + abs(w), y + abs(h)])
            # scores on a coarse grid, so that ties (broken by the boxes) occur
            scores = torch.tensor(np.round(rng.random(12) * 20) / 20, dtype=torch.float32)
            boxes = torch.tensor(boxes, dtype=torch.float32)
            key = "scores_refexp" if protocol == "clevrref" else "scores"
            predictions[img["id"]] = {key: scores, "boxes": boxes}
            row = []
            for s, b in zip(scores.tolist(), boxes.tolist()):
                row += [float(s)] + [float(v) for v in b]
            g.row("pred", protocol, img["id"], *row)
        ev = evaluator_cls(coco, ("bbox",))
        ev.update(predictions)
        with quiet():
            results = ev.summarize()
        for group, values in results.items():
            g.row("result", protocol, group, *[float(v) for v in values])
    g.save()


# ----------------------------------------------------------------------------------------------
# PhraseCut


def random_polygon(rng, w, h):
    n = int(rng.integers(3, 9))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    radius = rng.uniform(2, max(w, h) / 2)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n)) if rng.random() < 0.8 else rng.uniform(0, 2 * np.pi, n)
    pts = [[float(cx + radius * rng.uniform(0.3, 1) * np.cos(a)), float(cy + radius * rng.uniform(0.3, 1) * np.sin(a))]
           for a in angles]
    if rng.random() < 0.2:  # axis-aligned runs exercise the horizontal-edge rules
        x0, y0 = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        pts = [[x0, y0], [x0 + 7, y0], [x0 + 12, y0], [x0 + 12, y0 + 9], [x0 + 3, y0 + 9], [x0, y0 + 4]]
    return pts


def raster_goldens(rng):
    from PIL import Image, ImageDraw

    g = Golden("polygon_raster.txt", """
Pillow ImageDraw.polygon(fill=1, outline=1) on an "L" image, as PhraseCut's polygons_to_mask calls it.
poly <width> <height> <x0> <y0> <x1> <y1> ... (integer points) then mask <row strings of 0/1>""")
    import PIL
    g.lines.append("# Pillow " + PIL.__version__)
    for _ in range(150):
        w, h = int(rng.integers(8, 48)), int(rng.integers(8, 40))
        pts = [(int(x), int(y)) for x, y in random_polygon(rng, w, h)]
        img = Image.new("L", (w, h), 0)
        ImageDraw.Draw(img).polygon(pts, outline=1, fill=1)
        m = np.array(img) > 0
        g.row("poly", w, h, *[v for p in pts for v in p])
        g.row("mask", *["".join("1" if v else "0" for v in row) for row in m])
    g.save()


def phrasecut_goldens(rng, mdetr):
    evaluator_mod = importlib.import_module("refds.phrasecut_utils.evaluator")
    loader_mod = importlib.import_module("refds.phrasecut_utils.refvg_loader")
    data_transfer = importlib.import_module("refds.phrasecut_utils.data_transfer")

    folder = tempfile.mkdtemp()
    images, tasks = [], []
    for i in range(12):
        w, h = int(rng.integers(30, 70)), int(rng.integers(25, 55))
        images.append({"image_id": 700 + i, "width": w, "height": h, "split": "miniv"})
        for t in range(int(rng.integers(1, 5))):
            polys, boxes = [], []
            for _ in range(int(rng.integers(1, 4))):
                inst = [random_polygon(rng, w, h) for _ in range(int(rng.integers(1, 3)))]
                xs = [p[0] for poly in inst for p in poly]
                ys = [p[1] for poly in inst for p in poly]
                polys.append(inst)
                boxes.append([min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1])
            tasks.append({"task_id": "%d__%d" % (700 + i, t), "image_id": 700 + i, "phrase": "a thing",
                          "phrase_structure": {"attributes": [], "relation_descriptions": [], "name": "thing"},
                          "Polygons": polys, "instance_boxes": boxes})
    json.dump(images, open(os.path.join(folder, "image_data_split.json"), "w"))
    json.dump(tasks, open(os.path.join(folder, "refer_miniv.json"), "w"))
    with open(os.path.join(OUT, "phrasecut_image_data_split.json"), "w") as f:
        json.dump(images, f)
    with open(os.path.join(OUT, "phrasecut_refer_miniv.json"), "w") as f:
        json.dump(tasks, f)

    g = Golden("phrasecut.txt", """
PhraseCut goldens: the reference's phrasecut_utils Evaluator (box and mask) over
phrasecut_refer_miniv.json / phrasecut_image_data_split.json; tasks of the last image get no prediction.
pred <task_id> <n_boxes> <x y w h ...> then mask <rows of 0/1>
task_iou <task_id> <box iou> <mask iou> <i> <u>
result <mean_box_iou> <box acc .5 .6 .7 .8 .9> <mean_mask_iou> <cum_mask_iou> <mask acc .5 .6 .7 .8 .9> <evaluated> <total>""")
    with quiet():
        loader = loader_mod.RefVGLoader(folder, None, split="miniv")
        ev = evaluator_mod.Evaluator(loader, summary_path=folder, analyze_subset=False)
    by_image = {}
    sizes = {im["image_id"]: (im["width"], im["height"]) for im in images}
    for task in tasks:
        if task["image_id"] == images[-1]["image_id"]:
            continue
        w, h = sizes[task["image_id"]]
        boxes = []
        for b in task["instance_boxes"]:
            if rng.random() < 0.8:
                boxes.append(jitter_box(rng, b, rng.choice([0.03, 0.15])))
        if rng.random() < 0.3:
            boxes.append([float(rng.uniform(-15, w)), float(rng.uniform(-15, h)), float(rng.uniform(1, 20)),
                          float(rng.uniform(1, 20))])
        if rng.random() < 0.6:  # close to the truth: its polygons drawn, with noise
            gt_polys = [p for inst in task["Polygons"] for p in inst]
            mask = np.asarray(data_transfer.polygons_to_mask(gt_polys, w, h), dtype=bool)
            mask ^= rng.random((h, w)) < rng.choice([0.01, 0.04, 0.1])
        else:
            mask = np.zeros((h, w), dtype=bool)
            for b in boxes:
                x0, y0 = max(0, int(b[0])), max(0, int(b[1]))
                mask[y0:int(b[1] + b[3]), x0:int(b[0] + b[2])] = True
            mask ^= rng.random((h, w)) < 0.05
        by_image.setdefault(task["image_id"], {})[task["task_id"]] = {"boxes": boxes, "masks": mask}
        g.row("pred", task["task_id"], len(boxes), *[float(v) for b in boxes for v in b])
        g.row("mask", *["".join("1" if v else "0" for v in row) for row in mask])
    for image_id, preds in by_image.items():
        with quiet():
            mask_ious, box_ious = ev.eval_single_img(image_id, preds, pred_mask_tag="masks", pred_boxes_tag="boxes")
        for task_id in preds:
            g.row("task_iou", task_id, float(box_ious[task_id]), float(mask_ious[task_id]))
    stats = ev.subset_stats["all"]
    with quiet():
        res = ev.analyze_stats(["box", "mask"], exp_name_in_summary=None, save_result_to_path=None)["all"]
    th = [0.5, 0.6, 0.7, 0.8, 0.9]
    g.row("result", res["mean_box_iou"], *[float(res["pred_box_acc"][t]) for t in th], res["mean_mask_iou"],
          float(res["cum_mask_iou"]), *[float(res["pred_mask_acc"][t]) for t in th], len(stats[1]), loader.task_num)
    g.save()


# ----------------------------------------------------------------------------------------------
# GQA and CLEVR


def qa_goldens(rng, torch, mdetr):
    ns = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    QACriterionGQA, QACriterionClevr = classes_from(os.path.join(mdetr, "models", "mdetr.py"),
                                                    ["QACriterionGQA", "QACriterionClevr"], ns)
    g = Golden("qa.txt", """
QA goldens: MDETR's QACriterionGQA (split heads) and QACriterionClevr over the whole split as one batch.
gqa <true type> <true answer> <predicted type> <head argmax obj attr rel global cat>
gqa_metrics <accuracy_answer_type> <obj> <attr> <rel> <global> <cat> <total>
clevr <true type> <true answer> <predicted type> <yes?> <attr argmax> <count argmax> <family file> <family index>
clevr_metrics <accuracy_answer_type> <binary> <attr> <reg> <total>
clevr_kind <kind> <questions> <accuracy>  (counted here from the template files, type and answer right)""")
    n = 600
    sizes = {"obj": 30, "attr": 20, "rel": 25, "global": 8, "cat": 12}
    heads = list(sizes)
    out = {"pred_answer_type": torch.randn(n, 5)}
    for name, k in sizes.items():
        out["pred_answer_" + name] = torch.randn(n, k)
    true_type = torch.tensor(rng.integers(0, 5, n))
    out["pred_answer_type"][torch.arange(n), true_type] += 1.5  # mostly right types
    answers = {"answer_type": true_type}
    for t, name in enumerate(heads):
        ans = torch.tensor(rng.integers(0, sizes[name], n))
        pick = torch.tensor(rng.random(n) < 0.5)
        out["pred_answer_" + name][pick, ans[pick]] += 4.0
        answers["answer_" + name] = torch.where(true_type == t, ans, torch.full_like(ans, -100))
    m = QACriterionGQA(split_qa_heads=True)(out, answers)
    argmax = {k: v.argmax(-1) for k, v in out.items()}
    for i in range(n):
        t = int(true_type[i])
        g.row("gqa", t, int(answers["answer_" + heads[t]][i]), int(argmax["pred_answer_type"][i]),
              *[int(argmax["pred_answer_" + h][i]) for h in heads])
    g.row("gqa_metrics", *[float(m[k]) for k in ("accuracy_answer_type", "accuracy_answer_obj", "accuracy_answer_attr",
                                                  "accuracy_answer_rel", "accuracy_answer_global",
                                                  "accuracy_answer_cat", "accuracy_answer_total")])

    families = []
    for path in sorted(glob.glob(os.path.join(DATA, "clevr", "*.json"))):
        for idx, t in enumerate(json.load(open(path))):
            families.append((os.path.splitext(os.path.basename(path))[0], idx, t["nodes"][-1]["type"]))

    def kind(node):
        if node.endswith("count"):
            return "count"
        if node.endswith("exist"):
            return "exist"
        if node in ("equal_integer", "less_than", "greater_than"):
            return "compare_number"
        return "query_attribute" if node.startswith("query_") else "compare_attribute"

    out = {"pred_answer_type": torch.randn(n, 3), "pred_answer_binary": torch.randn(n),
           "pred_answer_attr": torch.randn(n, 15), "pred_answer_reg": torch.randn(n, 20)}
    true_type = torch.tensor(rng.integers(0, 3, n))
    out["pred_answer_type"][torch.arange(n), true_type] += 2.0
    binary = torch.tensor((rng.random(n) < 0.5).astype(np.float32))
    attr = torch.tensor(rng.integers(0, 15, n))
    reg = torch.tensor(rng.integers(0, 11, n))
    pick = torch.tensor(rng.random(n) < 0.6)
    out["pred_answer_attr"][pick, attr[pick]] += 4.0
    out["pred_answer_reg"][pick, reg[pick]] += 4.0
    out["pred_answer_binary"] = torch.where(pick, (binary * 2 - 1) * 3, out["pred_answer_binary"])
    answers = {"answer_type": true_type, "answer_binary": binary,
               "answer_attr": torch.where(true_type == 1, attr, torch.full_like(attr, -100)),
               "answer_reg": torch.where(true_type == 2, reg, torch.full_like(reg, -100))}
    m = QACriterionClevr()(out, answers)
    per_kind = {}
    for i in range(n):
        t = int(true_type[i])
        truth = [int(binary[i]), int(attr[i]), int(reg[i])][t]
        pred_type = int(out["pred_answer_type"][i].argmax())
        yes = bool(out["pred_answer_binary"][i].sigmoid() > 0.5)
        pa, pr = int(out["pred_answer_attr"][i].argmax()), int(out["pred_answer_reg"][i].argmax())
        fam = families[int(rng.integers(0, len(families)))]
        g.row("clevr", t, truth, pred_type, int(yes), pa, pr, fam[0], fam[1])
        head_ok = [yes == (truth == 1), pa == truth, pr == truth][t]
        k = per_kind.setdefault(kind(fam[2]), [0, 0])
        k[0] += 1
        k[1] += int(pred_type == t and head_ok)
    g.row("clevr_metrics", *[float(m[k]) for k in ("accuracy_answer_type", "accuracy_answer_binary",
                                                    "accuracy_answer_attr", "accuracy_answer_reg",
                                                    "accuracy_answer_total")])
    for k, (count, right) in sorted(per_kind.items()):
        g.row("clevr_kind", k, count, right / count)
    g.save()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mdetr", default="/tmp/mdetr_ref")
    ap.add_argument("--site", default="/tmp/venv-eval/lib/python3.11/site-packages")
    ap.add_argument("--seed", type=int, default=20210426)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch = setup_reference(args.mdetr, args.site)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    coco_goldens(rng)
    lvis_goldens(rng, torch)
    refexp_goldens(rng, torch, args.mdetr)
    raster_goldens(rng)
    phrasecut_goldens(rng, args.mdetr)
    qa_goldens(rng, torch, args.mdetr)


if __name__ == "__main__":
    main()
