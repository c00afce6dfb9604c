#!/usr/bin/env python3
"""Question-answering and referring-expression goldens from the reference (github ashkamath/mdetr).

Builds the tiny model of make_goldens.py with the reference's QA heads (GQA with one head per answer
type, GQA with the single all-answers head, CLEVR), fills it with the synthetic weights shared with
model/nn/synthetic_weights.cc and runs it on six real images with real or CLEVR-style questions.
On those outputs it records, per variant:
  * the QA outputs (pred_answer_*);
  * for several sets of ground-truth answers, every term the reference's QACriterionGQA /
    QACriterionClevr returns (losses and accuracies) and the weighted QA total under the weight
    dictionary that the reference's build() makes;
  * the gradient of that total with respect to the answer heads and qa_embed;
  * the answer strings of the reference's own scripts/eval_gqa.py and scripts/eval_clevr.py
    (GQA through a generated answer vocabulary in the reference's file format);
and, for the GQA model's boxes, the reference's PostProcess + RefExpEvaluator ranking and its
precision@1/5/10 on a small ground truth written next to the goldens.

  .venv/bin/python tools/parity/model/make_qa_goldens.py --reference /path/to/mdetr \
      --out tests/data/model/qa_goldens.pt --data-dir tests/data/model/qa
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_goldens import CONFIGS, SHARED, import_reference, make_text_encoder_dir, synthetic_tensor  # noqa: E402

# Small images keep the goldens small; the QA path does not depend on the image size.
IMAGE_SHORT_SIDE = 64
IMAGE_MAX_SIZE = 100

# (image, GQA-style question, CLEVR-style question). The first two GQA questions are the real
# ones of those GQA images; the others are asked of real COCO/Flickr images.
SAMPLES = [
    ("gqa/images/n578564.jpg", "What is hanging above the chalkboard?", "Are there more cubes than spheres?"),
    ("gqa/images/n166008.jpg", "Does the table below the water look wooden and round?",
     "What color is the large metal sphere?"),
    ("vqav2/images/COCO_train2014_000000458752.jpg", "What position is this man playing?",
     "How many cylinders are there?"),
    ("vqav2/images/COCO_train2014_000000458752.jpg", "What color is the players shirt?",
     "Is the small rubber cube the same color as the cylinder?"),
    ("coco/000000039769.png", "Are there both cats and remote controls in the picture?",
     "What material is the big object left of the cube?"),
    ("flickr30k_entities/images/4945942737.jpg", "Who is standing on the ladder?",
     "How many things are either red spheres or small cubes?"),
]

# Head sizes of the reference's GQA heads, in its answer-type order (obj=0 ... cat=4).
GQA_TYPES = ["obj", "attr", "rel", "global", "cat"]
GQA_HEAD_SIZES = {"obj": 3, "attr": 403, "rel": 1594, "global": 111, "cat": 678}
GQA_ALL_ANSWERS = 1853

VARIANTS = {
    # name: (dataset, split heads, qa_loss_coef)
    "gqa": ("gqa", True, 25.0),       # the GQA recipe of the reference's docs uses 25
    "gqa_all": ("gqa", False, 25.0),
    "clevr": ("clevr", True, 3.0),    # not 1, so the terms it scales are told apart
}


def load_images():
    from PIL import Image
    import torchvision.transforms.functional as F
    tensors, sizes = [], []
    for rel, _, _ in SAMPLES:
        img = Image.open(os.path.join(SHARED, rel)).convert("RGB")
        w, h = img.size
        scale = IMAGE_SHORT_SIDE / min(w, h)
        if max(w, h) * scale > IMAGE_MAX_SIZE:
            scale = IMAGE_MAX_SIZE / max(w, h)
        size = (int(round(h * scale)), int(round(w * scale)))
        t = F.to_tensor(F.resize(img, size))
        tensors.append(F.normalize(t, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]))
        sizes.append([h, w])
    return tensors, torch.tensor(sizes, dtype=torch.int64)


def gqa_vocabulary():
    """A vocabulary in the layout of the reference's gqa_answer2id_by_type.json / gqa_answer2id.json.

    The real files come with the MDETR annotations, which these machines do not have; the
    post-processing only needs the file format and the id -> answer direction. The entries are
    written in an order unrelated to their ids (readers must map by value) and each type has an
    "unknown", as the reference's dataset requires."""
    by_type = {}
    for t in GQA_TYPES:
        n = GQA_HEAD_SIZES[t]
        names = ["yes", "no", "unknown"] if t == "obj" else [f"{t} answer {i}" for i in range(n)]
        if t != "obj":
            names[n // 2] = "unknown"
        by_type[f"answer_{t}"] = {names[i]: i for i in sorted(range(n), key=lambda i: (i * 7919) % n)}
    names = [f"answer {i}" for i in range(GQA_ALL_ANSWERS)]
    names[17] = "unknown"
    all_answers = {names[i]: i for i in reversed(range(GQA_ALL_ANSWERS))}
    return by_type, all_answers


def build(reference_main, build_model, tiny, text_dir, variant):
    dataset, split, coef = VARIANTS[variant]
    args = reference_main.get_args_parser().parse_args(["--dataset_config", "unused.json"])
    args.device = "cpu"
    args.backbone = tiny["backbone"]
    args.lr_backbone = 1e-5
    args.hidden_dim = tiny["hidden_dim"]
    args.nheads = tiny["nheads"]
    args.enc_layers = tiny["enc_layers"]
    args.dec_layers = tiny["dec_layers"]
    args.dim_feedforward = tiny["dim_feedforward"]
    args.num_queries = tiny["num_queries"]
    args.text_encoder_type = text_dir
    args.combine_datasets = [dataset]
    args.do_qa = True
    args.split_qa_heads = split
    args.qa_loss_coef = coef
    model, _, _, qa_criterion, weight_dict = build_model(args)
    state = model.state_dict()
    with torch.no_grad():
        for name, t in state.items():
            if t.is_floating_point():
                t.copy_(synthetic_tensor(name, list(t.shape)))
    model.eval()
    return model, qa_criterion, weight_dict, args


def gqa_target_sets(out):
    """Ground truth for the six questions, chosen from the outputs so that accuracies are neither
    all 0 nor all 1: "mixed" covers every type, "agree" has the predicted types, "missing" lacks
    the global and cat types (the reference's 1.0 accuracy and unit normaliser)."""
    if "pred_answer" in out:  # the single all-answers head: one target per question
        right = out["pred_answer"].argmax(-1).tolist()
        wrong = [(v + 5) % GQA_ALL_ANSWERS for v in right]
        return {"mixed": {"answer": torch.tensor([r if q % 2 == 0 else w for q, (r, w) in enumerate(zip(right, wrong))])},
                "agree": {"answer": torch.tensor(right)}, "missing": {"answer": torch.tensor(wrong)}}
    pred_type = out["pred_answer_type"].argmax(-1).tolist()
    head_argmax = {t: out[f"pred_answer_{t}"].argmax(-1).tolist() for t in GQA_TYPES}

    def make(types):
        a = {"answer_type": torch.tensor(types, dtype=torch.int64)}
        for ti, t in enumerate(GQA_TYPES):
            ids = []
            for q, qt in enumerate(types):
                n = GQA_HEAD_SIZES[t]
                right = head_argmax[t][q]
                ids.append((right if q % 2 == 0 else (right + 1 + q) % n) if qt == ti else -100)
            a[f"answer_{t}"] = torch.tensor(ids, dtype=torch.int64)
        return a

    return {"mixed": make([2, 1, 0, 1, 4, 3]), "agree": make(pred_type), "missing": make([2, 1, 0, 1, 0, 2])}


def clevr_target_sets(out):
    pred_type = out["pred_answer_type"].argmax(-1).tolist()
    yes = (out["pred_answer_binary"].sigmoid() > 0.5).tolist()
    attr = out["pred_answer_attr"].argmax(-1).tolist()
    reg = out["pred_answer_reg"].argmax(-1).tolist()

    def make(types):
        binary, attrs, regs = [], [], []
        for q, qt in enumerate(types):
            right = q % 3 != 1
            binary.append(float(yes[q] == right) if qt == 0 else 0.0)
            attrs.append((attr[q] if right else (attr[q] + 4) % 15) if qt == 1 else -100)
            regs.append((reg[q] if right else (reg[q] + 3) % 20) if qt == 2 else -100)
        return {"answer_type": torch.tensor(types, dtype=torch.int64), "answer_binary": torch.tensor(binary),
                "answer_attr": torch.tensor(attrs, dtype=torch.int64), "answer_reg": torch.tensor(regs, dtype=torch.int64)}

    return {"mixed": make([0, 1, 2, 0, 1, 2]), "agree": make(pred_type), "missing": make([0, 0, 1, 1, 0, 1])}


def run_reference_answers(ref_path, variant, model, qa_criterion, samples, captions, args, by_type, all_answers):
    """The answers of the reference's own evaluation scripts (eval_gqa.py / eval_clevr.py)."""
    script = "eval_gqa.py" if variant.startswith("gqa") else "eval_clevr.py"
    spec = importlib.util.spec_from_file_location(script[:-3], os.path.join(ref_path, "scripts", script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    targets = [{"caption": c, "questionId": f"{i:03d}"} for i, c in enumerate(captions)]
    loader = [{"samples": samples, "targets": targets}]
    with tempfile.TemporaryDirectory() as tmp:
        args.split = "goldens"
        if variant.startswith("gqa"):
            evaluator = module.GQAEvaluator()
            id2answer = {v: k for k, v in all_answers.items()}
            id2answerbytype = {t: {v: k for k, v in d.items()} for t, d in by_type.items()}
            module.evaluate(model, qa_criterion, loader, [evaluator], "cpu", tmp, args, id2answer, id2answerbytype)
        else:
            evaluator = module.CLEVREvaluator()
            module.evaluate(model, loader, [evaluator], "cpu", tmp, args)
        # The files the scripts dump: GQA a JSON list of {questionId, prediction}; CLEVR one
        # prediction a line, sorted by questionId.
        if variant.startswith("gqa"):
            with open(os.path.join(tmp, "goldens_predictions.json")) as f:
                by_id = {p["questionId"]: p["prediction"] for p in json.load(f)}
        else:
            with open(os.path.join(tmp, "goldens_predictions.txt")) as f:
                by_id = {f"{i:03d}": line.rstrip("\n") for i, line in enumerate(f)}
    return [by_id[f"{i:03d}"] for i in range(len(captions))]


class FixedOutputs:
    """Stands in for the model in the reference's evaluation scripts: returns given outputs."""

    def __init__(self, outputs):
        self.outputs = outputs

    def eval(self):
        return self

    def __call__(self, samples, captions, encode_and_save=True, memory_cache=None):
        return None if encode_and_save else self.outputs


def designed_outputs(variant, n=12):
    """QA outputs with every answer type predicted (the tiny model's outputs hardly differ from one
    question to the next), a CLEVR yes/no logit of exactly 0 (sigmoid 0.5 is "no")."""
    gen = torch.Generator().manual_seed(7)
    if variant == "gqa_all":
        return {"pred_answer": torch.randn(n, GQA_ALL_ANSWERS, generator=gen) * 2}
    types = 5 if variant == "gqa" else 3
    t = torch.randn(n, types, generator=gen)
    t[torch.arange(n), torch.arange(n) % types] += 4
    out = {"pred_answer_type": t}
    if variant == "gqa":
        for name in GQA_TYPES:
            out[f"pred_answer_{name}"] = torch.randn(n, GQA_HEAD_SIZES[name], generator=gen) * 2
    else:
        out["pred_answer_binary"] = torch.randn(n, generator=gen) * 2
        out["pred_answer_binary"][0] = 0.0
        out["pred_answer_reg"] = torch.randn(n, 20, generator=gen) * 2
        out["pred_answer_attr"] = torch.randn(n, 15, generator=gen) * 2
    return out


def answer_confidences(variant, out):
    """p(type) * p(answer) of the demo's rule (CLEVR yes/no: the sigmoid or its complement)."""
    if variant == "gqa_all":
        return out["pred_answer"].softmax(-1).max(-1).values
    type_p = out["pred_answer_type"].softmax(-1)
    conf = []
    for q in range(type_p.shape[0]):
        t = int(type_p[q].argmax())
        if variant == "gqa":
            p = out[f"pred_answer_{GQA_TYPES[t]}"][q].softmax(-1).max()
        elif t == 0:
            s = out["pred_answer_binary"][q].sigmoid()
            p = torch.maximum(s, 1 - s)
        else:
            p = out["pred_answer_attr" if t == 1 else "pred_answer_reg"][q].softmax(-1).max()
        conf.append(type_p[q, t] * p)
    return torch.stack(conf)


def ranked(results):
    return [sorted(zip(r["scores"].tolist(), r["boxes"].tolist()), reverse=True) for r in results]


def refexp_goldens(orig_sizes, gt_path):
    """The reference's PostProcess boxes ranked as its RefExpEvaluator ranks them, for designed
    outputs (the tiny model's scores are all about 0.998: spread ones rank meaningfully; two
    queries of image 0 have the same score), and the reference's precision@1/5/10 on a ground
    truth whose box for image i is near the box ranked `ranks[i]`."""
    from models.postprocessors import PostProcess
    from datasets.refexp import RefExpEvaluator
    from pycocotools.coco import COCO

    g, images, annotations = {}, [], []
    gen = torch.Generator().manual_seed(11)
    logits = torch.randn(len(SAMPLES), 16, 256, generator=gen) * 2
    logits[..., -1] = torch.randn(len(SAMPLES), 16, generator=gen) * 3 + 4  # "no object": spread scores
    logits[0, 5] = logits[0, 3]
    boxes = torch.rand(len(SAMPLES), 16, 4, generator=gen)
    boxes[..., 2:] = boxes[..., 2:] * 0.5 + 0.05
    out = {"pred_logits": logits, "pred_boxes": boxes}
    g["refexp.out.pred_logits"] = logits
    g["refexp.out.pred_boxes"] = boxes
    results = PostProcess()(out, orig_sizes)
    ranks = [0, 2, 4, 7, 12, 15]
    for i, r in enumerate(ranked(results)):
        g[f"refexp.{i}.scores"] = torch.tensor([s for s, _ in r], dtype=torch.float32)
        g[f"refexp.{i}.boxes"] = torch.tensor([b for _, b in r], dtype=torch.float32)
        x0, y0, x1, y1 = r[ranks[i]][1]
        # Shrunk by 10% about its centre: GIoU with the ranked box stays above 0.5.
        w, h = (x1 - x0) * 0.9, (y1 - y0) * 0.9
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        h_img, w_img = orig_sizes[i].tolist()
        images.append({"id": 100 + i, "width": w_img, "height": h_img, "file_name": f"{i}.jpg",
                       "dataset_name": "refcoco", "caption": SAMPLES[i][1]})
        annotations.append({"id": i + 1, "image_id": 100 + i, "category_id": 1, "iscrowd": 0,
                            "bbox": [cx - w / 2, cy - h / 2, w, h], "area": w * h})
    gt = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "object"}]}
    with open(gt_path, "w") as f:
        json.dump(gt, f)
    coco = COCO(gt_path)
    evaluator = RefExpEvaluator(coco, ("bbox",))
    evaluator.update({100 + i: r for i, r in enumerate(results)})
    evaluator.synchronize_between_processes()
    g["refexp.precision"] = torch.tensor(evaluator.summarize()["refcoco"], dtype=torch.float64)
    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="path of a checkout of the MDETR reference")
    ap.add_argument("--out", required=True, help="goldens file to write (torch.save of a flat dict)")
    ap.add_argument("--data-dir", required=True, help="folder for the answer vocabularies and the refexp ground truth")
    opts = ap.parse_args()
    ref_path = os.path.abspath(opts.reference)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    reference_main, build_model, NestedTensor = import_reference(ref_path)
    import torchvision.models
    for arch in ("resnet18", "resnet34", "resnet50", "resnet101"):
        original = getattr(torchvision.models, arch)
        setattr(torchvision.models, arch, lambda *a, _f=original, pretrained=False, **kw: _f(*a, weights=None, **kw))

    os.makedirs(opts.data_dir, exist_ok=True)
    by_type, all_answers = gqa_vocabulary()
    with open(os.path.join(opts.data_dir, "gqa_answer2id_by_type.json"), "w") as f:
        json.dump(by_type, f)
    with open(os.path.join(opts.data_dir, "gqa_answer2id.json"), "w") as f:
        json.dump(all_answers, f)

    tiny = CONFIGS["tiny"]
    images, orig_sizes = load_images()
    samples = NestedTensor.from_tensor_list(images)
    g = {"input.images": samples.tensors, "input.mask": samples.mask, "input.orig_sizes": orig_sizes}
    with tempfile.TemporaryDirectory() as tmp:
        text_dir = make_text_encoder_dir(tiny, tmp)
        for variant in VARIANTS:
            model, qa_criterion, weight_dict, args = build(reference_main, build_model, tiny, text_dir, variant)
            tokenizer = model.transformer.tokenizer
            captions = [s[2] if variant == "clevr" else s[1] for s in SAMPLES]
            tok = tokenizer.batch_encode_plus(captions, padding="longest", return_tensors="pt")
            g[f"{variant}.input_ids"] = tok["input_ids"]
            g[f"{variant}.attention_mask"] = tok["attention_mask"]
            g[f"{variant}.qa_loss_coef"] = torch.tensor([args.qa_loss_coef], dtype=torch.float64)
            for k, v in weight_dict.items():
                if "answer" in k:
                    g[f"{variant}.weight.{k}"] = torch.tensor([v], dtype=torch.float64)

            def forward():
                cache = model(samples, captions, encode_and_save=True)
                return model(samples, captions, encode_and_save=False, memory_cache=cache)

            with torch.no_grad():
                out = forward()
            for k, v in out.items():
                if k.startswith("pred_answer"):
                    g[f"{variant}.out.{k}"] = v
            sets = clevr_target_sets(out) if variant == "clevr" else gqa_target_sets(out)
            for set_name, answers in sets.items():
                for k, v in answers.items():
                    g[f"{variant}.{set_name}.target.{k}"] = v
                losses = qa_criterion(out, answers)
                for k, v in losses.items():
                    g[f"{variant}.{set_name}.loss.{k}"] = torch.as_tensor(v, dtype=torch.float32).detach().reshape(1)

            # Gradient of the weighted QA total on the "mixed" answers.
            model.zero_grad()
            losses = qa_criterion(forward(), sets["mixed"])
            total = sum(losses[k] * weight_dict[k] for k in losses if k in weight_dict)
            g[f"{variant}.mixed.loss_total"] = total.detach().reshape(1)
            total.backward()
            for name, p in model.named_parameters():
                if p.grad is None or not ("answer" in name or name.startswith("qa_embed")):
                    continue
                grad = p.grad.detach()
                if grad.numel() <= 65536:
                    g[f"{variant}.grad.{name}"] = grad.clone()
                else:
                    probes = [synthetic_tensor(f"{name}:probe{i}", list(grad.shape)) for i in range(3)]
                    g[f"{variant}.gradstat.{name}"] = torch.stack(
                        [grad.double().norm(), grad.double().sum()] + [(grad.double() * pr.double()).sum() for pr in probes])

            # The reference scripts' answers, on the model's outputs and on designed ones.
            designed = designed_outputs(variant)
            for prefix, net, o, qs in (("", model, out, captions),
                                        ("designed.", FixedOutputs(designed), designed, [""] * 12)):
                answers = run_reference_answers(ref_path, variant, net, qa_criterion, samples, qs, args,
                                                by_type, all_answers)
                for i, a in enumerate(answers):
                    g[f"{variant}.{prefix}answer.{i}"] = torch.tensor(list(a.encode("utf-8")), dtype=torch.uint8)
                g[f"{variant}.{prefix}answer_confidence"] = answer_confidences(variant, o)
            for k, v in designed.items():
                g[f"{variant}.designed.out.{k}"] = v
            if variant == "gqa":
                g.update(refexp_goldens(orig_sizes, os.path.join(opts.data_dir, "refexp_gt.json")))

    g = {k: v.contiguous() for k, v in g.items()}
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    torch.save(g, opts.out)
    print(f"wrote {len(g)} tensors to {opts.out} ({os.path.getsize(opts.out) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
