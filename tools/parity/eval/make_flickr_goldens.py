#!/usr/bin/env python3
"""Makes the Flickr30k Entities recall goldens used by tests/phrase_recall/.

The shared data has two real Flickr30k Entities sentence files (../shared/data/flickr30k_entities/
sentences) but no Annotations/*.xml. This script
  1. writes tests/data/flickr/Annotations/<id>.xml in the exact Flickr30k Entities format for those
     two images: their real sizes, and for each entity id of the sentences either boxes (some
     entities get several, so the merged-box protocol differs from the any-box one), or the
     nobndbox / scene flags. The boxes are made up (deterministically); the real ones are not here.
  2. makes a fixed set of predictions (for every scored phrase, 12 ranked boxes: jittered copies of
     its boxes, of other entities' boxes and random boxes),
  3. runs the reference's Flickr30kEntitiesRecallEvaluator (datasets/flickr_eval.py) on them with
     merge_boxes False and True, and writes predictions + its Recall@1/5/10/upper per category to
     tests/data/flickr/recall_goldens.json.

Run from the repository root:
  PYTHONPATH=/tmp/mdetr_ref .venv/bin/python tools/parity/eval/make_flickr_goldens.py
(/tmp/mdetr_ref: a checkout of github.com/ashkamath/mdetr, commit ea09acc).
"""
import json
import os
import random
import re
import tempfile

from PIL import Image

from datasets.flickr_eval import Flickr30kEntitiesRecallEvaluator

SHARED = "../shared/data/flickr30k_entities"
OUT = "tests/data/flickr"
IDS = ["4945942737", "6338542128"]


def entity_ids(sentence_file):
    ids = []
    for m in re.finditer(r"\[/EN#(\d+)/", open(sentence_file).read()):
        if m.group(1) not in ids:
            ids.append(m.group(1))
    return ids


def rand_box(g, w, h):
    x0, y0 = g.randint(0, w - 40), g.randint(0, h - 40)
    return [x0, y0, g.randint(x0 + 20, w - 1), g.randint(y0 + 20, h - 1)]


def write_xml(img_id, g):
    w, h = Image.open(f"{SHARED}/images/{img_id}.jpg").size
    objects = []
    boxes = {}
    for n, eid in enumerate(entity_ids(f"{SHARED}/sentences/{img_id}.txt")):
        if eid == "0":
            continue
        if n % 5 == 3:  # not visible
            objects.append(f"\t<object>\n\t\t<name>{eid}</name>\n\t\t<nobndbox>1</nobndbox>\n\t\t<scene>0</scene>\n\t</object>")
            continue
        if n % 5 == 4:  # the whole scene
            objects.append(f"\t<object>\n\t\t<name>{eid}</name>\n\t\t<nobndbox>1</nobndbox>\n\t\t<scene>1</scene>\n\t</object>")
            continue
        boxes[eid] = [rand_box(g, w, h) for _ in range(1 + (n % 3 == 0) * 2)]
        for b in boxes[eid]:
            objects.append(
                f"\t<object>\n\t\t<name>{eid}</name>\n\t\t<bndbox>\n\t\t\t<xmin>{b[0]}</xmin>\n\t\t\t<ymin>{b[1]}</ymin>\n"
                f"\t\t\t<xmax>{b[2]}</xmax>\n\t\t\t<ymax>{b[3]}</ymax>\n\t\t</bndbox>\n\t</object>")
    xml = (f"<annotation>\n\t<filename>{img_id}.jpg</filename>\n\t<size>\n\t\t<width>{w}</width>\n"
           f"\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n" + "\n".join(objects) + "\n</annotation>\n")
    with open(f"{OUT}/Annotations/{img_id}.xml", "w") as f:
        f.write(xml)
    return w, h, boxes


def jitter(g, b, amount):
    return [round(v + g.uniform(-amount, amount), 3) for v in b]


def main():
    g = random.Random(20211)
    os.makedirs(f"{OUT}/Annotations", exist_ok=True)
    info = {i: write_xml(i, g) for i in IDS}
    with tempfile.TemporaryDirectory() as root:
        os.symlink(os.path.abspath(f"{OUT}/Annotations"), f"{root}/Annotations")
        os.symlink(os.path.abspath(f"{SHARED}/sentences"), f"{root}/Sentences")
        with open(f"{root}/test.txt", "w") as f:
            f.write("\n".join(IDS) + "\n")
        evaluators = {m: Flickr30kEntitiesRecallEvaluator(root, "test", merge_boxes=m, verbose=False)
                      for m in (False, True)}
        ev = evaluators[False]
        predictions = []
        for img_id in IDS:
            w, h, boxes = info[img_id]
            for sent_id, phrases in enumerate(ev.imgid2sentences[img_id]):
                if phrases is None:
                    continue
                per_phrase = []
                for p in phrases:
                    own = boxes[p["phrase_id"]]
                    others = [b for e, bs in boxes.items() if e != p["phrase_id"] for b in bs]
                    ranked = []
                    for r in range(12):
                        kind = g.random()
                        if kind < 0.25:
                            ranked.append(jitter(g, g.choice(own), 25.0))
                        elif kind < 0.45:
                            # a box enclosing all of the entity's boxes: right under the merged protocol
                            m = [min(b[0] for b in own), min(b[1] for b in own),
                                 max(b[2] for b in own), max(b[3] for b in own)]
                            ranked.append(jitter(g, m, 10.0))
                        elif kind < 0.7 and others:
                            ranked.append(jitter(g, g.choice(others), 8.0))
                        else:
                            ranked.append(rand_box(g, w, h))
                    per_phrase.append(ranked)
                predictions.append({"image_id": img_id, "sentence_id": sent_id, "boxes": per_phrase})
        results = {}
        for m, e in evaluators.items():
            report = e.evaluate(predictions)
            results["merged" if m else "any_box"] = {str(k): v for k, v in report.items()}
    with open(f"{OUT}/recall_goldens.json", "w") as f:
        json.dump({"reference": "ashkamath/mdetr ea09acc datasets/flickr_eval.py Flickr30kEntitiesRecallEvaluator",
                   "images": IDS, "predictions": predictions, "recall": results}, f, indent=1)
    for name, r in results.items():
        print(name, {k: round(v["all"], 4) for k, v in r.items()}, "categories:", sorted(r["1"]))


if __name__ == "__main__":
    main()
