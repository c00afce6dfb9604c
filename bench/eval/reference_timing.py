#!/usr/bin/env python3
"""Times pycocotools' COCOeval (bbox; per category and class-agnostic) and the LVIS API's LVISEval
(from the `lvis` package, imported without its drawing module) on the ground truth and detections
the C++ bench wrote. Prints one JSON object per case: {"case", "seconds", "stats"}."""
import contextlib
import io
import json
import sys
import time
import types


def cpu():
    return time.process_time()


def coco(gt_path, dets, use_cats):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        for a in gt.dataset["annotations"]:
            a.setdefault("iscrowd", 0)
        gt.createIndex()
        start = cpu()
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.useCats = use_cats
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        seconds = cpu() - start
    return seconds, [float(s) for s in ev.stats]


def lvis(gt_path, dets):
    import importlib.util

    import numpy as np

    if not hasattr(np, "float"):
        np.float = float
    # Skip the package __init__, which imports the drawing helpers (OpenCV, matplotlib).
    spec = importlib.util.find_spec("lvis")
    pkg = types.ModuleType("lvis")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["lvis"] = pkg
    from lvis.eval import LVISEval
    from lvis.lvis import LVIS
    from lvis.results import LVISResults

    with contextlib.redirect_stdout(io.StringIO()):
        gt = LVIS(gt_path)
        start = cpu()
        res = LVISResults(gt, dets, max_dets=300)
        ev = LVISEval(gt, res, iou_type="bbox")
        ev.run()
        seconds = cpu() - start
    r = ev.get_results()
    return seconds, [float(r[k]) for k in ("AP", "AP50", "APr", "APc", "APf")]


def main():
    gt_path, dets_path = sys.argv[1], sys.argv[2]
    dets = json.load(open(dets_path))
    for case, fn in (("coco_per_category", lambda d: coco(gt_path, d, 1)),
                     ("coco_class_agnostic", lambda d: coco(gt_path, d, 0)),
                     ("lvis_standard", lambda d: lvis(gt_path, d))):
        try:
            seconds, stats = fn(json.loads(json.dumps(dets)))
            print(json.dumps({"case": case, "seconds": seconds, "stats": stats}), flush=True)
        except Exception as e:  # report and go on with the other cases
            print(json.dumps({"case": case, "error": "%s: %s" % (type(e).__name__, e)}), flush=True)


if __name__ == "__main__":
    main()
