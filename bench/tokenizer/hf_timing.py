#!/usr/bin/env python3
"""Times Hugging Face's RobertaTokenizerFast on the captions of a golden file, the way MDETR calls
it, and prints one JSON object of tokens per CPU second. Run by tokenizer_bench; single-threaded
(RAYON_NUM_THREADS=1) so that it compares with our single-threaded figures.

Usage: hf_timing.py <roberta_goldens.json> <tokenizer dir> <min seconds per measurement>
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers.models import BPE  # noqa: E402
from transformers import RobertaTokenizerFast  # noqa: E402


def tokens_per_second(fn, tokens, min_seconds):
    fn()  # warm up (fills the BPE cache, as in a training run)
    loops, elapsed = 0, 0.0
    start = time.process_time()
    while elapsed < min_seconds:
        fn()
        loops += 1
        elapsed = time.process_time() - start
    return tokens * loops / elapsed


def main():
    golden_path, tokenizer_dir, min_seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    captions = [c["text"] for c in json.load(open(golden_path, encoding="utf-8"))["captions"]]
    vocab, merges = os.path.join(tokenizer_dir, "vocab.json"), os.path.join(tokenizer_dir, "merges.txt")
    # from_pretrained, as MDETR: in transformers 4.5.1 only it registers the special tokens.
    tok = RobertaTokenizerFast.from_pretrained(tokenizer_dir)
    uncached = RobertaTokenizerFast.from_pretrained(tokenizer_dir)
    uncached.backend_tokenizer.model = BPE.from_file(vocab, merges, cache_capacity=0)
    assert [uncached(c)["input_ids"] for c in captions[:200]] == [tok(c)["input_ids"] for c in captions[:200]]
    tokens = sum(len(tok(c)["input_ids"]) for c in captions)
    batches = [captions[i:i + 32] for i in range(0, len(captions), 32)]
    # A backend of its own: batch_encode_plus(padding=...) leaves padding switched on in the
    # backend it calls, which would pad every caption of a whole-corpus encode_batch.
    backend = RobertaTokenizerFast.from_pretrained(tokenizer_dir).backend_tokenizer
    backend.no_padding()
    backend.no_truncation()
    result = {
        "version": f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}",
        "tokens": tokens,
        "captions": len(captions),
        "per_caption": tokens_per_second(lambda: [tok(c) for c in captions], tokens, min_seconds),
        "batch32_padded": tokens_per_second(
            lambda: [tok.batch_encode_plus(b, padding="longest") for b in batches], tokens, min_seconds),
        "per_caption_no_cache": tokens_per_second(lambda: [uncached(c) for c in captions], tokens, min_seconds),
        "rust_core_encode_batch": tokens_per_second(lambda: backend.encode_batch(captions), tokens, min_seconds),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
