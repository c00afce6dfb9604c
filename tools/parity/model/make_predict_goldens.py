#!/usr/bin/env python3
"""Goldens for `mdetr predict` on the released model kinds, from the reference (github ashkamath/mdetr).

Two tiny models with the synthetic weights of make_goldens.py (model/nn/synthetic_weights.cc):
  * segm: the PhraseCut model (the reference's DETRsegm, the configuration of make_segm_goldens.py:
    ResNet-18, hidden 128, 8 heads) on one real image and a caption, preprocessed by the
    reference's own evaluation transform (RandomResize([size], max_size), ToTensor, Normalize).
    Recorded: every query's score (PostProcess: 1 - p(no object)), box in pixels of the original
    image, and its PostProcessSegm mask (threshold 0.5) at the original image size, as the COCO
    RLE that pycocotools' mask.encode writes; and per query the pixels whose mask logit is within
    NEAR_THRESHOLD of the threshold (where float32 rounding decides the side).
  * gqa: the GQA model with split heads (make_qa_goldens.py's tiny configuration) on one real GQA
    image and question; the answer that the reference's scripts/eval_gqa.py gives with the answer
    vocabulary of tests/data/model/qa, its type and p(type) * p(answer).
  * clevr: the CLEVR model the same way, with the reference's scripts/eval_clevr.py.

The full checkpoints are far larger than a test fixture (a ResNet-18 and a 50265-token embedding),
so the tests write them at test time from the same synthetic weights. What the reference itself
writes beside them is the `args` entry of its checkpoints (argparse.Namespace, pickled as its
torch.save pickles it), which the tests splice into their file. With --checkpoint-dir the whole
reference checkpoints ({"model": state_dict, "args": Namespace}) are written there as well, to run
`mdetr predict` on the reference's own files by hand.

  .venv/bin/python tools/parity/model/make_predict_goldens.py --reference /path/to/mdetr \
      --out-dir tests/data/inference [--checkpoint-dir out/parity/predict]
"""
import argparse
import json
import os
import pickle
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import make_goldens as base  # noqa: E402
import make_qa_goldens as qa  # noqa: E402
import make_segm_goldens as segm  # noqa: E402

SEGM = dict(image="coco/000000039769.png", caption="two cats lying on a pink blanket", size=80, max_size=128)
GQA = dict(image="gqa/images/n578564.jpg", caption="What is hanging above the chalkboard?", size=64, max_size=100)
CLEVR = dict(image="gqa/images/n166008.jpg", caption="How many cylinders are there?", size=64, max_size=100)
CLEVR_TYPES = ["binary", "attr", "count"]  # the reference's CLEVR answer types, in its order
# Mask logits this close to 0 (sigmoid 0.5) fall on either side of the threshold with float32
# rounding: the tiny model's mask logits are small (|logit| <= 0.57) and its group norms amplify
# rounding (see make_segm_goldens.py). Measured, the reference's own float32 pred_masks differ from
# its float64 ones by up to 1.9e-4 (7e-5 with oneDNN convolutions, 1.9e-4 without), flipping 1 to
# 8 pixels a mask; ours differ from the reference's at 1 to 5 pixels, each with a logit within
# 2e-6 of 0. Recorded per query as an RLE band.
NEAR_THRESHOLD = 2.5e-4
QA_VOCAB_DIR = os.path.join(ROOT, "tests", "data", "model", "qa")


def patch_torchvision():
    import torchvision.models
    for arch in ("resnet18", "resnet34", "resnet50", "resnet101"):
        original = getattr(torchvision.models, arch)
        setattr(torchvision.models, arch, lambda *a, _f=original, pretrained=False, **kw: _f(*a, weights=None, **kw))


def fill_synthetic(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(base.synthetic_tensor(name, list(t.shape)))
    model.eval()


def preprocess(sample):
    """The reference's evaluation transform (datasets/coco.py make_coco_transforms, "val")."""
    from PIL import Image
    import datasets.transforms as T
    img = Image.open(os.path.join(base.SHARED, sample["image"])).convert("RGB")
    transform = T.Compose([T.RandomResize([sample["size"]], max_size=sample["max_size"]), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    tensor, _ = transform(img, None)
    return tensor, img.size[::-1]  # (h, w) of the original


def finish_args(args, text_encoder_type):
    """What the released checkpoints record for the text encoder (a hub name, not a local path)."""
    args = argparse.Namespace(**vars(args))
    args.text_encoder_type = text_encoder_type
    return args


def segm_goldens(reference_main, build_model, NestedTensor, checkpoint_dir):
    from models.postprocessors import PostProcess, PostProcessSegm
    from models.segmentation import MaskHeadSmallConv
    from pycocotools import mask as coco_mask
    import numpy as np
    import torch.nn.functional as F
    cfg = segm.CONFIG
    with tempfile.TemporaryDirectory() as tmp:
        text_dir = base.make_text_encoder_dir(cfg, tmp)
        args = reference_main.get_args_parser().parse_args(
            ["--dataset_config", "unused.json", "--mask_model", "smallconv", "--masks", "--no_contrastive_align_loss"])
        args.device = "cpu"
        args.backbone = cfg["backbone"]
        args.lr_backbone = 1e-5
        for k in ("hidden_dim", "nheads", "enc_layers", "dec_layers", "dim_feedforward", "num_queries"):
            setattr(args, k, cfg[k])
        args.text_encoder_type = text_dir
        args.combine_datasets = ["phrasecut"]
        model, _, _, _, _ = build_model(args)
        # The reference's ResNet branch assumes ResNet-50/101 widths; ResNet-18's, as make_segm_goldens.py.
        model.mask_head = MaskHeadSmallConv(cfg["hidden_dim"] + cfg["nheads"], [256, 128, 64], cfg["hidden_dim"])
    fill_synthetic(model)
    image, (h, w) = preprocess(SEGM)
    samples = NestedTensor.from_tensor_list([image])
    with torch.no_grad():
        out = model(samples, [SEGM["caption"]])
        orig = torch.tensor([[h, w]])
        results = PostProcess()(out, orig)
        results = PostProcessSegm(threshold=0.5)(results, out, orig, torch.tensor([list(image.shape[-2:])]))
        # The logits PostProcessSegm thresholds (its two bilinear resizes), for the band of pixels
        # whose side of the threshold float32 rounding may decide.
        logits = F.interpolate(F.interpolate(out["pred_masks"].squeeze(2), size=tuple(image.shape[-2:]),
                                             mode="bilinear"), size=(h, w), mode="bilinear")[0]
    r = results[0]

    def rle_of(m):
        rle = coco_mask.encode(np.asfortranarray(m.numpy().astype("uint8")))
        return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii"), "area": int(m.sum())}

    masks = [rle_of(r["masks"][q, 0]) for q in range(r["masks"].shape[0])]
    near = [rle_of(logits[q].abs() < NEAR_THRESHOLD) for q in range(logits.shape[0])]
    g = dict(SEGM, input_hw=list(image.shape[-2:]), orig_hw=[h, w], scores=r["scores"].tolist(),
             boxes=r["boxes"].tolist(), masks=masks, threshold=0.5, near_threshold=NEAR_THRESHOLD,
             near_threshold_masks=near)
    args = finish_args(args, "roberta-base")
    if checkpoint_dir:
        torch.save({"model": model.state_dict(), "args": args}, os.path.join(checkpoint_dir, "tiny_segm.pth"))
    return g, args


def qa_goldens(variant, sample, reference_main, build_model, NestedTensor, ref_path, checkpoint_dir):
    """The answer of the reference's eval_gqa.py / eval_clevr.py to one question, its type and
    p(type) * p(answer) (CLEVR yes/no: the sigmoid or its complement)."""
    tiny = base.CONFIGS["tiny"]
    with open(os.path.join(QA_VOCAB_DIR, "gqa_answer2id_by_type.json")) as f:
        by_type = json.load(f)
    with open(os.path.join(QA_VOCAB_DIR, "gqa_answer2id.json")) as f:
        all_answers = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        text_dir = base.make_text_encoder_dir(tiny, tmp)
        model, qa_criterion, _, args = qa.build(reference_main, build_model, tiny, text_dir, variant)
        image, _ = preprocess(sample)
        samples = NestedTensor.from_tensor_list([image])
        answer = qa.run_reference_answers(ref_path, variant, model, qa_criterion, samples, [sample["caption"]], args,
                                          by_type, all_answers)[0]
        with torch.no_grad():
            cache = model(samples, [sample["caption"]], encode_and_save=True)
            out = model(samples, [sample["caption"]], encode_and_save=False, memory_cache=cache)
    t = int(out["pred_answer_type"][0].argmax())
    types = qa.GQA_TYPES if variant == "gqa" else CLEVR_TYPES
    g = dict(sample, input_hw=list(image.shape[-2:]), answer=answer, answer_type=types[t],
             confidence=float(qa.answer_confidences(variant, out)[0]))
    args = finish_args(args, "roberta-base")
    if checkpoint_dir:
        torch.save({"model": model.state_dict(), "args": args}, os.path.join(checkpoint_dir, f"tiny_{variant}.pth"))
    return g, args


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="path of a checkout of the MDETR reference")
    ap.add_argument("--out-dir", required=True, help="folder for predict_goldens.json and the *_args.pkl files")
    ap.add_argument("--checkpoint-dir", help="also write the reference's full tiny checkpoints here")
    opts = ap.parse_args()
    ref_path = os.path.abspath(opts.reference)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    reference_main, build_model, NestedTensor = base.import_reference(ref_path)
    patch_torchvision()
    os.makedirs(opts.out_dir, exist_ok=True)
    if opts.checkpoint_dir:
        os.makedirs(opts.checkpoint_dir, exist_ok=True)
    goldens = {}
    goldens["segm"], segm_args = segm_goldens(reference_main, build_model, NestedTensor, opts.checkpoint_dir)
    goldens["gqa"], gqa_args = qa_goldens("gqa", GQA, reference_main, build_model, NestedTensor, ref_path,
                                          opts.checkpoint_dir)
    goldens["clevr"], clevr_args = qa_goldens("clevr", CLEVR, reference_main, build_model, NestedTensor, ref_path,
                                              opts.checkpoint_dir)
    with open(os.path.join(opts.out_dir, "predict_goldens.json"), "w") as f:
        json.dump(goldens, f, indent=1)
    # Protocol 2, as torch.save pickles a checkpoint's entries.
    for name, args in (("segm", segm_args), ("gqa", gqa_args), ("clevr", clevr_args)):
        with open(os.path.join(opts.out_dir, f"{name}_args.pkl"), "wb") as f:
            f.write(pickle.dumps(args, protocol=2))
    print("segm scores", [round(s, 4) for s in goldens["segm"]["scores"]])
    print("segm mask areas", [m["area"] for m in goldens["segm"]["masks"]])
    for name in ("gqa", "clevr"):
        print(name, "answer", goldens[name]["answer"], goldens[name]["answer_type"], goldens[name]["confidence"])


if __name__ == "__main__":
    main()
