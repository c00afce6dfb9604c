#!/usr/bin/env python3
"""Writes the checkpoint fixtures of tests/checkpoint_io with PyTorch itself, plus expected.json:
what torch.load sees in each file (names, dtypes, shapes, strides, storage sharing, sums of the
data, the args fields), for the C++ readers to be compared with.

    .venv/bin/python tools/parity/checkpoint/make_fixtures.py [OUT_DIR]   # default tests/data/checkpoint
    .venv/bin/python tools/parity/checkpoint/make_fixtures.py --large /tmp/big.pth --gib 1

--large writes one synthetic checkpoint of about the given size (for load-time and memory
measurements; never committed).
"""
import argparse
import collections
import copy
import json
import math
import os
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]


def tensor_stats(t):
    """Row-major statistics that a reader with wrong strides or dtype decoding cannot match."""
    flat = t.detach().reshape(-1).to(torch.float64)
    n = flat.numel()
    weights = (torch.arange(n, dtype=torch.float64) % 7) + 1
    return {
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "contiguous": t.is_contiguous(),
        "sum": math.fsum(flat.tolist()),
        "weighted_sum": math.fsum((flat * weights).tolist()),
        "first": flat[:4].tolist(),
    }


def state_dict_stats(sd):
    out, first_owner = [], {}
    for name, t in sd.items():
        s = tensor_stats(t)
        ptr = t.untyped_storage().data_ptr()
        s["name"] = name
        # Which earlier entry this one shares its storage with (views of one storage).
        s["shares_storage_with"] = first_owner.setdefault(ptr, name) if t.untyped_storage().nbytes() else name
        out.append(s)
    return out


class TinyDetector(torch.nn.Module):
    """A few layers with the kinds of entries MDETR's state dict has (conv, norm buffers, linear,
    embedding, an int64 position_ids buffer)."""

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
        self.query_embed = torch.nn.Embedding(5, 8)
        self.class_embed = torch.nn.Linear(8, 6)
        self.register_buffer("position_ids", torch.arange(16).expand((1, -1)))


def make_model_state(seed):
    torch.manual_seed(seed)
    model = TinyDetector()
    with torch.no_grad():
        model.backbone[1].running_mean.uniform_(-1, 1)
        model.backbone[1].num_batches_tracked.fill_(7)
    sd = model.state_dict()  # an OrderedDict carrying _metadata, as the reference's
    base = torch.randn(4, 6)
    sd["views.base"] = base
    sd["views.transposed"] = base.t()                  # same storage, swapped strides
    sd["views.slice"] = base[1:3, ::2]                 # storage offset 6, strides (6, 2)
    sd["views.expanded"] = torch.arange(3.0).expand(4, 3)  # stride 0
    half = torch.randn(10).half()
    sd["half.weight"] = half
    sd["half.tail"] = half[4:]                          # fp16 view with an offset
    sd["bf16.weight"] = torch.randn(3, 5).bfloat16()
    sd["double.value"] = torch.tensor([math.pi, -math.e], dtype=torch.float64)
    sd["int32.counts"] = torch.tensor([[1, -2], [2**31 - 1, -(2**31)]], dtype=torch.int32)
    sd["uint8.mask"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["bool.flags"] = torch.tensor([True, False, True])
    sd["scalar.step"] = torch.tensor(12345.5)
    sd["empty.rows"] = torch.zeros(0, 3)
    return model, sd


def make_args(**overrides):
    args = argparse.Namespace(
        lr=1e-4, lr_backbone=1e-5, text_encoder_lr=5e-5, batch_size=4, weight_decay=1e-4, epochs=20,
        lr_drop=35, clip_max_norm=0.1, ema=True, ema_decay=0.9998, freeze_text_encoder=False,
        text_encoder_type="roberta-base", backbone="resnet101", dataset_config="configs/pretrain.json",
        output_dir=pathlib.PosixPath("/checkpoint/user/experiments/run"), device="cuda", seed=42,
        resume="", frozen_weights=None, masks=False, num_queries=100, set_cost_class=1.0,
        contrastive_loss_hdim=64, temperature_NCE=0.07, schedule="linear_with_warmup", fraction_warmup_steps=0.01,
        big_number=2**40, negative=-5, label="caf\u00e9", sizes=[800, 1333], pair=(1, 2),
    )
    for k, v in overrides.items():
        setattr(args, k, v)
    return args


def args_expectations(args):
    out = {}
    for k, v in vars(args).items():
        if v is None:
            out[k] = {"type": "None"}
        elif isinstance(v, bool):
            out[k] = {"type": "bool", "value": v}
        elif isinstance(v, int):
            out[k] = {"type": "int", "value": v}
        elif isinstance(v, float):
            out[k] = {"type": "float", "value": v}
        elif isinstance(v, str):
            out[k] = {"type": "str", "value": v}
        elif isinstance(v, pathlib.PurePath):
            out[k] = {"type": "path", "value": str(v)}
        elif isinstance(v, (list, tuple)):
            out[k] = {"type": type(v).__name__, "value": list(v)}
    return out


def make_optimizer_state(model):
    opt = torch.optim.AdamW(
        [{"params": [model.class_embed.weight, model.class_embed.bias]}, {"params": [model.query_embed.weight], "lr": 1e-5}],
        lr=1e-4, weight_decay=1e-4)
    loss = model.class_embed(model.query_embed.weight).square().sum()
    loss.backward()
    opt.step()
    return opt.state_dict()


def write_fixtures(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = {"torch_version": torch.__version__}

    # A checkpoint shaped like the reference's: model, model_ema, optimizer, epoch, args.
    model, sd = make_model_state(0)
    ema = collections.OrderedDict((k, (v * 2 if v.is_floating_point() else v.clone())) for k, v in sd.items())
    optimizer = make_optimizer_state(model)
    args = make_args()
    path = out_dir / "mdetr_like.pth"
    torch.save({"model": sd, "model_ema": ema, "optimizer": optimizer, "epoch": 3, "args": args}, path)
    loaded = torch.load(path, weights_only=False)
    expected["mdetr_like.pth"] = {
        "top_level_keys": list(loaded.keys()),
        "epoch": loaded["epoch"],
        "model": state_dict_stats(loaded["model"]),
        "model_ema": state_dict_stats(loaded["model_ema"]),
        "args_class": "argparse.Namespace",
        "args": args_expectations(loaded["args"]),
        "optimizer": {
            "param_group_lrs": [g["lr"] for g in loaded["optimizer"]["param_groups"]],
            "param_group_params": [g["params"] for g in loaded["optimizer"]["param_groups"]],
            "betas": list(loaded["optimizer"]["param_groups"][0]["betas"]),
            "state_keys": sorted(loaded["optimizer"]["state"].keys()),
            "state0": {k: tensor_stats(v) for k, v in loaded["optimizer"]["state"][0].items()},
        },
        "metadata_version": loaded["model"]._metadata[""]["version"],
    }

    # The same without EMA: model_ema is None, so the model weights must be chosen.
    _, sd2 = make_model_state(1)
    path = out_dir / "no_ema.pth"
    torch.save({"model": sd2, "model_ema": None, "epoch": 0, "args": make_args(ema=False)}, path)
    expected["no_ema.pth"] = {"model": state_dict_stats(torch.load(path, weights_only=False)["model"])}

    # A Hugging Face RoBERTa (tiny config), saved both ways save_pretrained can.
    import transformers
    torch.manual_seed(2)
    config = transformers.RobertaConfig(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                        intermediate_size=32, max_position_embeddings=24, type_vocab_size=1)
    roberta = transformers.RobertaModel(config)
    hf_dir = out_dir / "hf_roberta"
    roberta.save_pretrained(hf_dir, safe_serialization=False)
    roberta.save_pretrained(hf_dir, safe_serialization=True)
    (hf_dir / "config.json").unlink()
    for extra in hf_dir.glob("generation_config.json"):
        extra.unlink()
    expected["hf_roberta/pytorch_model.bin"] = {"model": state_dict_stats(torch.load(hf_dir / "pytorch_model.bin"))}
    from safetensors.torch import load_file, save_file
    expected["hf_roberta/model.safetensors"] = {"model": state_dict_stats(load_file(hf_dir / "model.safetensors"))}

    # A safetensors file with every common dtype and a metadata block.
    torch.manual_seed(3)
    tensors = {
        "w.f32": torch.randn(3, 4),
        "w.f16": torch.randn(5).half(),
        "w.bf16": torch.randn(2, 2).bfloat16(),
        "w.f64": torch.randn(2, dtype=torch.float64),
        "ids.i64": torch.tensor([1, -1, 2**40]),
        "ids.i32": torch.tensor([7, -7], dtype=torch.int32),
        "mask.bool": torch.tensor([True, False]),
        "mask.u8": torch.tensor([3, 250], dtype=torch.uint8),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0),
    }
    save_file(tensors, out_dir / "small.safetensors", metadata={"format": "pt", "source": "make_fixtures"})
    expected["small.safetensors"] = {
        "model": state_dict_stats(load_file(out_dir / "small.safetensors")),
        "metadata": {"format": "pt", "source": "make_fixtures"},
    }

    # The pre-1.6 format, which the C++ reader reports as unsupported.
    torch.save({"w": torch.ones(2)}, out_dir / "legacy.pth", _use_new_zipfile_serialization=False)

    # One object pickled with every protocol, for the unpickler's opcode coverage.
    expected["pickles"] = write_pickles(out_dir / "pickles")

    with open(out_dir / "expected.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    total = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    print(f"wrote fixtures to {out_dir} ({total} bytes)")


def write_pickles(out_dir):
    import pickle
    out_dir.mkdir(parents=True, exist_ok=True)
    shared = [4, 5]
    obj = {
        "small": 7, "int2": 300, "neg": -300, "i32min": -2**31, "big": 2**40, "int64min": -2**63,
        "float": 1.5, "tiny": -2.5e-300, "str": "h\u00e9llo \u4e16", "long_str": "x" * 300,
        "bytes": b"\x00\xffab", "none": None, "true": True, "false": False,
        "list": [1, [2, 3]], "tuple1": (1,), "tuple3": (1, 2, 3), "tuple5": (1, 2, 3, 4, 5), "empty": (),
        "set": {7}, "od": collections.OrderedDict([("b", 1), ("a", 2)]), "int_keys": {0: "zero", 5: "five"},
        "shared_a": shared, "shared_b": shared,
        "ns": argparse.Namespace(x=1, name="n"), "path": pathlib.PosixPath("/a/b"),
    }
    for protocol in range(6):
        with open(out_dir / f"proto{protocol}.pkl", "wb") as f:
            pickle.dump(obj, f, protocol=protocol)
    return {
        "protocols": list(range(6)),
        "ints": {k: obj[k] for k in ["small", "int2", "neg", "i32min", "big", "int64min"]},
        "floats": {k: obj[k] for k in ["float", "tiny"]},
        "strs": {k: obj[k] for k in ["str", "long_str"]},
        "bytes_hex": obj["bytes"].hex(),
        "keys": list(obj.keys()),
        "od_keys": list(obj["od"].keys()),
        "path": str(obj["path"]),
    }


def write_large(path, gib):
    """A reference-shaped checkpoint of about `gib` GiB: model + model_ema + Adam moments."""
    target = int(gib * (1 << 30))
    per_copy = target // 4
    sd = collections.OrderedDict()
    n, i = 0, 0
    torch.manual_seed(0)
    while n < per_copy:
        rows = 256 if i % 3 else 2048
        t = torch.empty(rows, 256).uniform_(-1, 1)
        sd[f"transformer.layers.{i}.weight"] = t
        n += t.numel() * 4
        i += 1
    ema = collections.OrderedDict((k, v.clone()) for k, v in sd.items())
    state = {j: {"step": torch.tensor(1.0), "exp_avg": v.clone(), "exp_avg_sq": v.clone()} for j, v in enumerate(sd.values())}
    optimizer = {"state": state, "param_groups": [{"lr": 1e-4, "params": list(range(len(sd)))}]}
    torch.save({"model": sd, "model_ema": ema, "optimizer": optimizer, "epoch": 1, "args": make_args()}, path)
    print(f"wrote {path}: {os.path.getsize(path)} bytes, {len(sd)} tensors per state dict")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", nargs="?", default=str(REPO / "tests" / "data" / "checkpoint"))
    parser.add_argument("--large", help="write one large synthetic checkpoint to this path instead")
    parser.add_argument("--gib", type=float, default=1.0)
    opts = parser.parse_args()
    if opts.large:
        write_large(opts.large, opts.gib)
    else:
        write_fixtures(pathlib.Path(opts.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
