#!/usr/bin/env python3
"""Writes a large MDETR-format annotation file (final_mixed_train.json-like) for the indexing
benchmark. Deterministic; never commit its output.

  python3 bench/annotations/make_mdetr_json.py /tmp/mdetr_500mb.json --mb 500
"""
import argparse
import json
import random

WORDS = ("man woman dog cat red blue small large left right table chair wearing holding near the a "
         "shirt hat car street tree sky window person with on in of standing sitting").split()


def make_image(rng, image_id, ann_id):
    n_words = rng.randint(8, 30)
    words = [rng.choice(WORDS) for _ in range(n_words)]
    caption = " ".join(words) + "."
    starts = []
    pos = 0
    for w in words:
        starts.append((pos, pos + len(w)))
        pos += len(w) + 1
    n_boxes = rng.randint(1, 5)
    anns = []
    phrases = []
    for _ in range(n_boxes):
        i = rng.randrange(len(words))
        j = min(len(words) - 1, i + rng.randint(0, 2))
        span = [starts[i][0], starts[j][1]]
        x, y = rng.uniform(0, 500), rng.uniform(0, 400)
        w, h = rng.uniform(5, 200), rng.uniform(5, 200)
        anns.append({"area": round(w * h, 3), "iscrowd": 0, "image_id": image_id, "category_id": 1,
                     "id": ann_id + len(anns), "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                     "tokens_positive": [span]})
        phrases.append([span])
    image = {"file_name": f"COCO_train2014_{rng.randrange(10**12):012d}.jpg", "height": rng.randint(200, 640),
             "width": rng.randint(200, 640), "id": image_id, "caption": caption, "dataset_name": "mixed",
             "tokens_negative": [[0, len(words[0])]], "original_id": rng.randrange(10**6),
             "data_source": rng.choice(["coco", "vg"]), "tokens_positive_eval": phrases}
    return image, anns


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mb", type=float, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    target = args.mb * 1e6
    images, annotations = [], []
    size = 0
    ann_id = 0
    while size < target:
        image, anns = make_image(rng, len(images), ann_id)
        ann_id += len(anns)
        images.append(image)
        annotations.extend(anns)
        size += len(json.dumps(image)) + sum(len(json.dumps(a)) for a in anns) + 4
    with open(args.out, "w") as f:
        json.dump({"info": {}, "licenses": [], "images": images, "annotations": annotations,
                   "categories": [{"supercategory": "object", "id": 1, "name": "object"}]}, f)
    print(f"{args.out}: {len(images)} images, {len(annotations)} annotations")


if __name__ == "__main__":
    main()
