#!/usr/bin/env python
"""Writes the reference's training recipes as numbers: tests/data/configs/reference_recipes.json.

For every recipe of configs/tasks/ this resolves the hyper-parameters the way the reference's own
launcher does: its argument parser (run_with_submitit.parse_args, which adds --ngpus/--nodes to
main.get_args_parser) reads the documented command line, then the dataset config JSON is merged
over the parsed arguments (main.main does `vars(args).update(json)`, so e.g. epochs in
refcoco.json beat the command line), then --mask_model implies masks. The command lines below are
copied from the reference's docs (.github/<task>.md) and, where `verbatim` is set, checked to
appear in that file word for word, so a typo here fails loudly instead of producing a wrong golden.

Usage (from the project root):
  PYTHONPATH=/tmp/mdetr_ref .venv/bin/python tools/recipes/extract_reference_recipes.py \
      --reference /tmp/mdetr_ref --out tests/data/configs/reference_recipes.json
"""
import argparse
import json
import os
import re
import subprocess
import sys

PRETRAINED = {
    "r101": "https://zenodo.org/record/4721981/files/pretrained_resnet101_checkpoint.pth",
    "eb3": "https://zenodo.org/record/4721981/files/pretrained_EB3_checkpoint.pth",
    "eb5": "https://zenodo.org/record/4721981/files/pretrained_EB5_checkpoint.pth",
}

# One entry per configs/tasks/<name>.yaml.
#   doc: the reference's doc that gives the command; launcher: "submitit" (run_with_submitit.py,
#   GPUs = ngpus x nodes) or "launch" (torch.distributed.launch, GPUs = nproc_per_node) or
#   "single" (python main.py on one GPU); config: configs/<file>.json; config_edits: keys the doc
#   tells the user to change in that JSON; flags: the command's arguments after the script name;
#   verbatim: the flags appear in the doc exactly so (whitespace aside); note: what is not verbatim.
RECIPES = {
    # .github/pretrain.md, "Resnet101".
    "pretrain_r101": dict(
        doc="pretrain.md", launcher="submitit", config="pretrain.json", verbatim=True,
        flags="--dataset_config configs/pretrain.json  --ngpus 8 --nodes 4 --ema"),
    # .github/pretrain.md, "Timm backbones" (EfficientNet-B3 with its backbone learning rate).
    "pretrain_effnet_b3": dict(
        doc="pretrain.md", launcher="submitit", config="pretrain.json", verbatim=True,
        flags="--dataset_config configs/pretrain.json  --ngpus 8 --nodes 4 --ema "
              "--backbone timm_tf_efficientnet_b3_ns --lr_backbone 5e-5"),
    # The docs give no B5 command; the B3 command with the B5 backbone (the paper trains both alike).
    "pretrain_effnet_b5": dict(
        doc="pretrain.md", launcher="submitit", config="pretrain.json", verbatim=False,
        note="no documented command: the EfficientNet-B3 command with the B5 backbone",
        flags="--dataset_config configs/pretrain.json  --ngpus 8 --nodes 4 --ema "
              "--backbone timm_tf_efficientnet_b5_ns --lr_backbone 5e-5"),
    # .github/flickr.md, AnyBox: the pre-trained models evaluated as they are.
    "flickr_anybox": dict(
        doc="flickr.md", launcher="submitit", config="flickr.json", verbatim=True,
        flags="--dataset_config configs/flickr.json  --resume " + PRETRAINED["r101"] +
              "  --ngpus 1 --nodes 2  --ema  --eval"),
    "flickr_anybox_effnet_b3": dict(
        doc="flickr.md", launcher="submitit", config="flickr.json", verbatim=True,
        flags='--backbone "timm_tf_efficientnet_b3_ns" --dataset_config configs/flickr.json --resume ' +
              PRETRAINED["eb3"] + "  --ngpus 1 --nodes 2 --ema  --eval"),
    "flickr_anybox_effnet_b5": dict(
        doc="flickr.md", launcher="submitit", config="flickr.json", verbatim=True,
        flags='--backbone "timm_tf_efficientnet_b5_ns" --dataset_config configs/flickr.json --resume ' +
              PRETRAINED["eb5"] + "  --ngpus 1 --nodes 2  --ema  --eval"),
    # .github/flickr.md, MergedBox: GT_type changed to "merged", the released merged model evaluated.
    "flickr_mergedbox": dict(
        doc="flickr.md", launcher="submitit", config="flickr.json", verbatim=True,
        config_edits={"GT_type": "merged"},
        flags="--dataset_config configs/flickr.json --resume "
              "https://zenodo.org/record/4721981/files/flickr_merged_resnet101_checkpoint.pth"
              "  --ngpus 1 --nodes 2 --ema  --eval"),
    # .github/refexp.md, "Finetuning instructions" (shown for refcoco; the same for the others).
    "refcoco": dict(
        doc="refexp.md", launcher="submitit", config="refcoco.json", verbatim=True,
        flags="--dataset_config configs/refcoco.json  --batch_size 4  --load " + PRETRAINED["r101"] +
              "?download=1  --ngpus 1 --nodes 2 --ema --text_encoder_lr 1e-5 --lr 5e-5"),
    "refcoco+": dict(
        doc="refexp.md", launcher="submitit", config="refcoco+.json", verbatim=False,
        note="the refcoco fine-tuning command with configs/refcoco+.json",
        flags="--dataset_config configs/refcoco+.json  --batch_size 4  --load " + PRETRAINED["r101"] +
              "  --ngpus 1 --nodes 2 --ema --text_encoder_lr 1e-5 --lr 5e-5"),
    "refcocog": dict(
        doc="refexp.md", launcher="submitit", config="refcocog.json", verbatim=False,
        note="the refcoco fine-tuning command with configs/refcocog.json",
        flags="--dataset_config configs/refcocog.json  --batch_size 4  --load " + PRETRAINED["r101"] +
              "  --ngpus 1 --nodes 2 --ema --text_encoder_lr 1e-5 --lr 5e-5"),
    # .github/phrasecut.md, step 1 (detector) and step 2 (mask head on the frozen detector).
    "phrasecut_boxes": dict(
        doc="phrasecut.md", launcher="submitit", config="phrasecut.json", verbatim=True,
        flags="--dataset_config configs/phrasecut.json --epochs 10 --lr_drop 11 --load " + PRETRAINED["r101"] +
              " --ema --ngpus 8 --nodes 4 --text_encoder_lr 1e-5 --lr 5e-5"),
    "phrasecut_masks": dict(
        doc="phrasecut.md", launcher="submitit", config="phrasecut.json", verbatim=True,
        flags="--dataset_config configs/phrasecut.json --ngpus 8 --nodes 4  --frozen_weights "
              "detection_r101/checkpoint.pth --mask_model smallconv --no_aux_loss --epochs 35 --lr_drop 25"),
    "phrasecut_boxes_effnet_b3": dict(
        doc="phrasecut.md", launcher="submitit", config="phrasecut.json", verbatim=True,
        flags='--dataset_config configs/phrasecut.json --backbone "timm_tf_efficientnet_b3_ns" --epochs 10 '
              "--lr_drop 11  --ema  --ngpus 8 --nodes 4  --text_encoder_lr 1e-5  --lr_backbone 1e-5 --lr 5e-5  "
              "--load " + PRETRAINED["eb3"]),
    "phrasecut_masks_effnet_b3": dict(
        doc="phrasecut.md", launcher="submitit", config="phrasecut.json", verbatim=True,
        flags="--dataset_config configs/phrasecut.json --ngpus 8 --nodes 4  --frozen_weights "
              "detection_enb3/checkpoint.pth --mask_model smallconv --no_aux_loss --epochs 35 --lr_drop 25  "
              '--backbone "timm_tf_efficientnet_b3_ns"'),
    # .github/gqa.md, fine-tuning on the "all" split (gqa_split_type changed to "all").
    "gqa_all": dict(
        doc="gqa.md", launcher="submitit", config="gqa.json", verbatim=True,
        config_edits={"gqa_split_type": "all"},
        flags="--dataset_config configs/gqa.json --ngpus 8 --ema --epochs 125 --epoch_chunks 25 --do_qa "
              "--split_qa_heads --lr_drop 150 --load " + PRETRAINED["r101"] +
              " --nodes 4 --batch_size 4 --no_aux_loss --qa_loss_coef 25 --lr 1.4e-4 --lr_backbone 1.4e-5 "
              "--text_encoder_lr 7e-5"),
    # The paper's second GQA stage (Sec. 4.3; issue #25): 10 epochs on "balanced", QA loss only.
    # The docs give no command: the stage-1 command with those two changes and no chunks.
    "gqa_balanced": dict(
        doc="gqa.md", launcher="submitit", config="gqa.json", verbatim=False,
        note="not in the docs: the paper's 10 epochs on balanced with the QA loss only (--no_detection); "
             "the other flags are those of the documented stage 1",
        flags="--dataset_config configs/gqa.json --ngpus 8 --ema --epochs 10 --do_qa --no_detection "
              "--split_qa_heads --lr_drop 150 --load gqa_all/checkpoint.pth --nodes 4 --batch_size 4 "
              "--no_aux_loss --qa_loss_coef 25 --lr 1.4e-4 --lr_backbone 1.4e-5 --text_encoder_lr 7e-5"),
    # .github/lvis.md, fine-tuning (the doc's command; lvis_subset set per recipe).
    "lvis_1pct": dict(
        doc="lvis.md", launcher="submitit", config="lvis.json", verbatim=False, config_edits={"lvis_subset": 1},
        note="the doc's single LVIS command (shown for the 10% subset) with lvis_subset 1",
        flags="--dataset_config configs/lvis.json --load " + PRETRAINED["r101"] +
              " --ema --epochs 150 --lr_drop 120 --eval_skip 5 --ngpus 8 --nodes 4"),
    "lvis_10pct": dict(
        doc="lvis.md", launcher="submitit", config="lvis.json", verbatim=True, config_edits={"lvis_subset": 10},
        flags="--dataset_config configs/lvis.json --load " + PRETRAINED["r101"] +
              " --ema --epochs 150 --lr_drop 120 --eval_skip 5 --ngpus 8 --nodes 4"),
    "lvis_100pct": dict(
        doc="lvis.md", launcher="submitit", config="lvis.json", verbatim=False, config_edits={"lvis_subset": 100},
        note="the doc's single LVIS command (shown for the 10% subset) with lvis_subset 100",
        flags="--dataset_config configs/lvis.json --load " + PRETRAINED["r101"] +
              " --ema --epochs 150 --lr_drop 120 --eval_skip 5 --ngpus 8 --nodes 4"),
    # .github/clevr.md: step 1 on CLEVR-Medium (detection only), step 2 on the full set with QA.
    "clevr_medium": dict(
        doc="clevr.md", launcher="single", config="clevr_pretrain.json", verbatim=True,
        flags='--dataset_config configs/clevr_pretrain.json --backbone "resnet18" --num_queries 25 '
              "--batch_size 64  --schedule linear_with_warmup --text_encoder_type distilroberta-base "
              "--output_dir step1 --epochs 30 --lr_drop 20"),
    "clevr_full": dict(
        doc="clevr.md", launcher="single", config="clevr.json", verbatim=True,
        flags='--dataset_config configs/clevr.json --backbone "resnet18" --num_queries 25 --batch_size 64  '
              "--schedule linear_with_warmup --text_encoder_type distilroberta-base --output_dir step2 "
              "--load step1/checkpoint.pth --epochs 30 --lr_drop 20"),
    # The doc names configs/clevr_human.json; the file is configs/clevr_humans.json.
    "clevr_humans": dict(
        doc="clevr.md", launcher="single", config="clevr_humans.json", verbatim=False,
        note="the doc's command names configs/clevr_human.json (a typo for clevr_humans.json)",
        flags='--dataset_config configs/clevr_humans.json --backbone "resnet18" --num_queries 25 --batch_size 64  '
              "--schedule linear_with_warmup --text_encoder_type distilroberta-base --output_dir humans "
              "--load step2/checkpoint.pth --epochs 60 --lr_drop 40"),
    # CoGenT: "similar to regular CLEVR" with the cogent configs. The two cogent JSON files in the
    # repository are swapped relative to the doc (clevr_cogent_pretrain.json has do_qa, the doc's
    # clevr_cogent.json has it and reads cogent_full): the doc's intent is used (see config_edits).
    "clevr_cogent_medium": dict(
        doc="clevr.md", launcher="single", config="clevr_cogent_pretrain.json", verbatim=False,
        config_edits={"do_qa": 0, "split_qa_heads": 0},
        note="CLEVR step-1 flags with the CoGenT config; do_qa/split_qa_heads dropped (the repository's "
             "clevr_cogent_pretrain.json and clevr_cogent.json are swapped relative to the doc)",
        flags='--dataset_config configs/clevr_cogent_pretrain.json --backbone "resnet18" --num_queries 25 '
              "--batch_size 64  --schedule linear_with_warmup --text_encoder_type distilroberta-base "
              "--output_dir step1 --epochs 30 --lr_drop 20"),
    "clevr_cogent_full": dict(
        doc="clevr.md", launcher="single", config="clevr_cogent.json", verbatim=False,
        config_edits={"do_qa": 1, "split_qa_heads": 1, "clevr_ann_path": "cogent_full"},
        note="CLEVR step-2 flags with the CoGenT config as the doc shows it (do_qa, split_qa_heads, cogent_full)",
        flags='--dataset_config configs/clevr_cogent.json --backbone "resnet18" --num_queries 25 --batch_size 64  '
              "--schedule linear_with_warmup --text_encoder_type distilroberta-base --output_dir step2 "
              "--load step1/checkpoint.pth --epochs 30 --lr_drop 20"),
    # CLEVR-Ref+: configs/clevrref.json exists, no documented command: the CLEVR step-1 flags.
    "clevr_ref": dict(
        doc="clevr.md", launcher="single", config="clevrref.json", verbatim=False,
        note="no documented command: the CLEVR step-1 flags with configs/clevrref.json",
        flags='--dataset_config configs/clevrref.json --backbone "resnet18" --num_queries 25 '
              "--batch_size 64  --schedule linear_with_warmup --text_encoder_type distilroberta-base "
              "--epochs 30 --lr_drop 20"),
}

def datasets_of(names, args, train):
    """Reference dataset -> [(our data.train/val `name`, the annotation file it reads)].

    The file names follow the build() functions of the reference's datasets/*.py for the options
    resolved above (GT_type, refexp_dataset_name, gqa_split_type, lvis_subset, clevr_ann_path);
    CLEVR files are named with their folder, which tells the variants apart.
    """
    split = "train" if train else "val"
    out = []
    for n in names:
        if n == "flickr":
            gt = {"separate": "separateGT", "merged": "mergedGT"}[args.GT_type]
            out.append(("flickr", f"final_flickr_{gt}_{split}.json"))
        elif n == "mixed":
            out.append(("mixed", f"final_mixed_{split}.json"))
        elif n == "refexp" and args.refexp_dataset_name == "all":
            # Pre-training validation: RefCOCO/+/g together in one file.
            out.append(("refcoco", f"final_refexp_{split}.json"))
        elif n == "refexp":
            out.append((args.refexp_dataset_name, f"finetune_{args.refexp_dataset_name}_{split}.json"))
        elif n == "gqa" and args.do_qa and train:
            # QA training concatenates the train and val parts of the split.
            out += [("gqa", f"finetune_gqa_{s}_{args.gqa_split_type}.json") for s in ("train", "val")]
        elif n == "gqa" and args.do_qa:
            out.append(("gqa", "finetune_gqa_testdev_balanced.json"))
        elif n == "gqa":
            out.append(("gqa", f"final_gqa_{split}.json"))
        elif n == "phrasecut":
            out.append(("phrasecut", "finetune_phrasecut_train.json" if train else "finetune_phrasecut_miniv.json"))
        elif n == "modulated_lvis":
            subset = "" if args.lvis_subset is None or int(args.lvis_subset) == 100 else str(args.lvis_subset)
            out.append(("lvis", f"finetune_lvis{subset}_{split}.json"))
        elif n == "clevr_question" and args.clevr_variant == "humans":
            out.append(("clevr", f"{os.path.basename(args.clevr_ann_path.rstrip('/'))}/CLEVR-Humans-{split}.json"))
        elif n in ("clevr", "clevrref"):
            name = "clevr" if n == "clevr" else "clevr_ref"
            out.append((name, f"{os.path.basename(args.clevr_ann_path.rstrip('/'))}/{split}.json"))
        else:
            raise SystemExit(f"no mapping for the reference dataset {n}")
    return out


def squash(text):
    return re.sub(r"\s+", " ", text).strip()


def resolve(ref_dir, name, spec, parse_args):
    doc_path = os.path.join(ref_dir, ".github", spec["doc"])
    doc = squash(open(doc_path).read().replace('"', ""))
    if spec["verbatim"] and squash(spec["flags"].replace('"', "")) not in doc:
        raise SystemExit(f"{name}: the command is not in .github/{spec['doc']} as written here")
    argv = [a.strip('"') for a in spec["flags"].split()]
    # The CLEVR doc writes --output_dir, which the parser (--output-dir) rejects; it only names
    # the output folder, so it is dropped.
    if "--output_dir" in argv:
        i = argv.index("--output_dir")
        del argv[i:i + 2]
    # The reference resolves --dataset_config relative to its own folder.
    argv = [os.path.join(ref_dir, a) if a.startswith("configs/") else a for a in argv]
    args = parse_args(argv)
    with open(os.path.join(ref_dir, "configs", spec["config"])) as f:
        cfg = json.load(f)
    cfg.update(spec.get("config_edits", {}))
    vars(args).update(cfg)  # what main.main does
    if args.mask_model != "none":
        args.masks = True
    gpus = {"submitit": args.ngpus * args.nodes, "launch": None, "single": 1}[spec["launcher"]]
    clevr = any(n in ("clevr", "clevr_question", "clevrref") for n in args.combine_datasets)
    no_detection = bool(getattr(args, "no_detection", False))
    rec = {
        "doc": ".github/" + spec["doc"],
        "config": "configs/" + spec["config"],
        "documented": spec["verbatim"],
        "gpus": gpus,
        "eval_only": bool(args.eval),
        "init_checkpoint": bool(args.load or args.resume),
        "lr": args.lr,
        "lr_backbone": args.lr_backbone,
        "text_encoder_lr": args.text_encoder_lr,
        "batch_size": args.batch_size,
        "weight_decay": args.weight_decay,
        "epochs": args.epochs,
        "epoch_chunks": args.epoch_chunks,
        "lr_drop": args.lr_drop,
        "eval_skip": args.eval_skip,
        "optimizer": "adamw" if args.optimizer == "adam" else args.optimizer,
        "clip_max_norm": args.clip_max_norm,
        "schedule": args.schedule,
        "ema": bool(args.ema),
        "ema_decay": args.ema_decay,
        "fraction_warmup_steps": args.fraction_warmup_steps,
        "seed": args.seed,
        "backbone": args.backbone,
        "dilation": bool(args.dilation),
        "position_embedding": args.position_embedding,
        "text_encoder_type": args.text_encoder_type,
        "freeze_text_encoder": bool(args.freeze_text_encoder),
        "hidden_dim": args.hidden_dim,
        "enc_layers": args.enc_layers,
        "dec_layers": args.dec_layers,
        "dim_feedforward": args.dim_feedforward,
        "nheads": args.nheads,
        "num_queries": args.num_queries,
        "dropout": args.dropout,
        "pass_pos_and_query": bool(args.pass_pos_and_query),
        "aux_loss": bool(args.aux_loss),
        "masks": bool(args.masks),
        "frozen_weights": bool(args.frozen_weights),
        "do_qa": bool(args.do_qa),
        "qa_dataset": ("clevr" if clevr else "gqa") if args.do_qa else "",
        "split_qa_heads": bool(args.split_qa_heads),
        "predict_final": bool(args.predict_final),
        "no_detection": no_detection,
        "contrastive_loss": bool(args.contrastive_loss),
        "contrastive_align_loss": bool(args.contrastive_align_loss),
        "contrastive_loss_hdim": args.contrastive_loss_hdim,
        "temperature_nce": args.temperature_NCE,
        "set_cost_class": args.set_cost_class,
        "set_cost_bbox": args.set_cost_bbox,
        "set_cost_giou": args.set_cost_giou,
        "ce_loss_coef": args.ce_loss_coef,
        "bbox_loss_coef": args.bbox_loss_coef,
        "giou_loss_coef": args.giou_loss_coef,
        "mask_loss_coef": args.mask_loss_coef,
        "dice_loss_coef": args.dice_loss_coef,
        "qa_loss_coef": args.qa_loss_coef,
        "eos_coef": args.eos_coef,
        "contrastive_loss_coef": args.contrastive_loss_coef,
        "contrastive_align_loss_coef": args.contrastive_align_loss_coef,
        # Transforms: make_clevr_transforms for the CLEVR family, make_coco_transforms otherwise.
        "train_scales": [256, 288, 320, 352, 384] if clevr else list(range(480, 801, 32)),
        "max_size": 512 if clevr else 1333,
        "train": [n for n, _ in datasets_of(args.combine_datasets, args, True)],
        "train_files": [f for _, f in datasets_of(args.combine_datasets, args, True)],
        "val": [n for n, _ in datasets_of(args.combine_datasets_val, args, False)],
        "val_files": [f for _, f in datasets_of(args.combine_datasets_val, args, False)],
    }
    for key in ("GT_type", "gqa_split_type", "lvis_subset", "clevr_variant", "refexp_dataset_name"):
        if key in cfg:
            rec[key] = cfg[key]
    if "note" in spec:
        rec["note"] = spec["note"]
    return rec


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", default="/tmp/mdetr_ref", help="checkout of github ashkamath/mdetr")
    p.add_argument("--out", default="tests/data/configs/reference_recipes.json")
    a = p.parse_args()
    sys.path.insert(0, a.reference)
    import run_with_submitit  # the reference's launcher: main's parser plus --ngpus/--nodes

    def parse_args(argv):
        saved = sys.argv
        sys.argv = ["run_with_submitit.py"] + argv
        try:
            return run_with_submitit.parse_args()
        finally:
            sys.argv = saved

    commit = subprocess.run(["git", "-C", a.reference, "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    out = {
        "source": "github ashkamath/mdetr" + (f" @ {commit}" if commit else ""),
        "generator": "tools/recipes/extract_reference_recipes.py",
        "recipes": {name: resolve(a.reference, name, spec, parse_args) for name, spec in RECIPES.items()},
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(out['recipes'])} recipes to {a.out}")


if __name__ == "__main__":
    main()
