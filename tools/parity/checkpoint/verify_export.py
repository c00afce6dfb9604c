#!/usr/bin/env python3
"""Loads a file our C++ writers produced with the Python libraries themselves and prints what they
see, as JSON (the same per-tensor statistics as make_fixtures.py), for tests to compare.

    .venv/bin/python tools/parity/checkpoint/verify_export.py torch FILE [--key model]
    .venv/bin/python tools/parity/checkpoint/verify_export.py safetensors FILE
"""
import argparse
import json
import pathlib
import sys
import zipfile

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import state_dict_stats  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("format", choices=["torch", "safetensors"])
    parser.add_argument("file")
    parser.add_argument("--key", default="")
    opts = parser.parse_args()
    out = {}
    if opts.format == "torch":
        with zipfile.ZipFile(opts.file) as z:
            out["zip_bad_entry"] = z.testzip()  # None when every CRC-32 matches
            out["zip_names"] = z.namelist()
        loaded = torch.load(opts.file, weights_only=True)  # the safe loader must accept it
        out["top_level_keys"] = list(loaded.keys())
        sd = loaded[opts.key] if opts.key else loaded
        out["type"] = type(sd).__name__
    else:
        from safetensors import safe_open
        from safetensors.torch import load_file
        sd = load_file(opts.file)
        with safe_open(opts.file, "pt") as f:
            out["metadata"] = f.metadata()
    out["model"] = state_dict_stats(sd)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
