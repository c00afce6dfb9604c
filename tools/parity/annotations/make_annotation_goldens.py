#!/usr/bin/env python3
"""Makes the goldens used by tests/annotations/ from the reference implementation.

Flickr30k Entities: runs the reference's own parsers, get_sentence_data and get_annotations from
ashkamath/mdetr datasets/flickr_eval.py (loaded from a checkout given on the command line, not
copied), on the real Sentences files in ../shared/data and on the XML sample in
tests/annotations/testdata, and adds each phrase's character span the way MDETR's
scripts/pre-training/flickr_combined.py computes tokens_positive. LVIS: summary figures of
lvis_val_100.json computed with Python's json.

  python3 tools/parity/annotations/make_annotation_goldens.py /path/to/mdetr
"""
import ast
import json
import os
import sys

SHARED = "../shared/data"
OUT = "tests/annotations/testdata/reference_goldens.json"


def load_reference_parsers(mdetr_root):
    path = os.path.join(mdetr_root, "datasets", "flickr_eval.py")
    tree = ast.parse(open(path).read())
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("get_sentence_data", "get_annotations")]
    module = ast.Module(body=wanted, type_ignores=[])
    scope = {}
    exec("import xml.etree.ElementTree as ET\nfrom typing import Any, Dict, List, Optional, Sequence, Tuple, Union",
         scope)
    exec(compile(module, path, "exec"), scope)
    return scope["get_sentence_data"], scope["get_annotations"]


def main():
    get_sentence_data, get_annotations = load_reference_parsers(sys.argv[1])
    goldens = {"flickr_sentences": {}, "flickr_annotations": {}, "lvis": {}}
    sentence_dir = os.path.join(SHARED, "flickr30k_entities", "sentences")
    for name in sorted(os.listdir(sentence_dir)):
        path = os.path.join(sentence_dir, name)
        out = []
        for s in get_sentence_data(path):
            phrases = []
            for p in s["phrases"]:
                first = p["first_word_index"]
                begin = sum(len(x) for x in s["sentence"].split()[:first]) + first
                end = begin + len(p["phrase"])
                assert s["sentence"][begin:end] == p["phrase"]
                phrases.append({"text": p["phrase"], "entity_id": p["phrase_id"], "types": p["phrase_type"],
                                "first_word_index": first, "begin": begin, "end": end})
            out.append({"sentence": s["sentence"], "phrases": phrases})
        goldens["flickr_sentences"][path] = out
    xml_path = "tests/annotations/testdata/flickr_annotation_sample.xml"
    goldens["flickr_annotations"][xml_path] = get_annotations(xml_path)

    lvis_path = os.path.join(SHARED, "lvis", "lvis_val_100.json")
    d = json.load(open(lvis_path))
    freq = {}
    for c in d["categories"]:
        freq[c["frequency"]] = freq.get(c["frequency"], 0) + 1
    goldens["lvis"] = {
        "file": lvis_path,
        "images": len(d["images"]),
        "annotations": len(d["annotations"]),
        "categories": len(d["categories"]),
        "frequency_counts": freq,
        "neg_category_ids_total": sum(len(i.get("neg_category_ids", [])) for i in d["images"]),
        "not_exhaustive_category_ids_total": sum(len(i.get("not_exhaustive_category_ids", [])) for i in d["images"]),
        "bbox_sum": sum(sum(a["bbox"]) for a in d["annotations"]),
        "area_sum": sum(a["area"] for a in d["annotations"]),
        "polygon_count": sum(len(a["segmentation"]) for a in d["annotations"] if isinstance(a["segmentation"], list)),
        "polygon_coord_count": sum(len(p) for a in d["annotations"] if isinstance(a["segmentation"], list)
                                   for p in a["segmentation"]),
        "first_image": {k: d["images"][0][k] for k in ("id", "width", "height", "file_name", "coco_url")},
        "first_category": {k: d["categories"][0][k] for k in ("id", "name", "synset", "frequency", "image_count",
                                                              "instance_count")},
    }
    with open(OUT, "w") as f:
        json.dump(goldens, f, indent=1)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
