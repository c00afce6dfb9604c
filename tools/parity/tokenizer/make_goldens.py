#!/usr/bin/env python3
"""Writes tests/data/tokenizer/roberta_goldens.json: what Hugging Face's RobertaTokenizerFast (the
tokenizer MDETR runs) produces for a few thousand captions, for the C++ parity test.

For every caption: input ids, (start, end) character offsets and char_to_token for every character.
For batches of captions: batch_encode_plus(padding="longest") ids and attention masks.
For captions with per-box character spans: MDETR's positive map (reference spec §3.3), computed
here in Python on the Hugging Face encoding.

Captions are real ones from ../shared/data (Flickr30k Entities sentences, GQA and VQA questions and
answers, LVIS category names, synonyms and definitions, CLEVR question templates) plus generated ones
that stress Unicode, whitespace, punctuation, numbers, contractions and special tokens.

The tokenizer is loaded from the local vocab.json + merges.txt only (no download), with the
versions MDETR pins: transformers 4.5.1, whose RobertaTokenizerFast runs tokenizers 0.10.3. Later
releases differ in two ways the goldens would then miss: "<mask>" swallows the whole whitespace run
before it instead of one character (transformers 5: none), and letters/numbers follow Unicode 14
instead of 13. tokenizers 0.10.3 has wheels up to Python 3.9:

    ~/.pyenv/versions/3.9.18/bin/python -m venv /tmp/venv-tok-ref
    /tmp/venv-tok-ref/bin/pip install -r tools/parity/tokenizer/requirements.txt
    /tmp/venv-tok-ref/bin/python tools/parity/tokenizer/make_goldens.py --check-classes   # repo root

The pre-tokenizer's letter, number and whitespace classes are probed on every code point and stored
too (about 15 s). --check-classes also compares them with unicodedata (Unicode 13.0 in Python 3.9),
the source of the generated tables in model/text/unicode_tables.cc.
"""
import argparse
import glob
import json
import os

os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import random
import re
import sys
import unicodedata

import numpy as np
import tokenizers
import transformers
from transformers import RobertaTokenizerFast

DATA = "../shared/data"
TOKENIZER_DIR = os.path.join(DATA, "tokenizer/roberta-base")
OUT = "tests/data/tokenizer/roberta_goldens.json"
WIDTH = 256


def load_tokenizer():
    # from_pretrained, as MDETR loads it: in transformers 4.5.1 only from_pretrained registers the
    # special tokens with the Rust tokenizer. The folder holds vocab.json and merges.txt only.
    tok = RobertaTokenizerFast.from_pretrained(TOKENIZER_DIR, add_prefix_space=False, trim_offsets=True)
    # The two facts of ../shared/data/README.md. The first fails where "<mask>" does not strip the
    # space before it (transformers 5).
    if tok("A, <mask> AllenNLP sentence.")["input_ids"] != [0, 250, 6, 50264, 3823, 487, 21992, 3645, 4, 2]:
        sys.exit(f"transformers {transformers.__version__}: <mask> does not strip the space before it")
    assert tok("Hello world! cécé herlolip")["input_ids"] == [0, 31414, 232, 328, 740, 1140, 12695, 69, 46078, 1588, 2]
    return tok


def token_to_chars(enc, t):
    try:
        span = enc.token_to_chars(t)
    except TypeError:  # transformers 4.5.1 builds CharSpan(*None) for tokens without characters
        return None
    return None if span is None else (span.start, span.end)


# ----------------------------------------------------------------------------------------------
# Real captions


def flickr_captions():
    """Flickr30k Entities sentences without markup, with one span list per entity (as MDETR's
    flickr annotations: words joined by single spaces, a phrase's span covers its words)."""
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "flickr30k_entities/sentences/*.txt"))):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            words, spans = [], {}
            pos = 0
            for m in re.finditer(r"\[/EN#(\d+)/[^ ]+ ([^\]]+)\]|(\S+)", line):
                phrase = m.group(2) if m.group(1) else m.group(3)
                for w in phrase.split(" "):
                    if not w:
                        continue
                    if words:
                        pos += 1
                    words.append(w)
                    pos += len(w)
                if m.group(1):
                    end = pos
                    begin = end - len(" ".join(w for w in phrase.split(" ") if w))
                    spans.setdefault(m.group(1), []).append([begin, end])
            text = " ".join(words)
            out.append((text, list(spans.values())))
    return out


def gqa_captions():
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "gqa/questions*.json"))):
        for q in json.load(open(path, encoding="utf-8")).values():
            out += [q["question"], q["fullAnswer"], q["answer"]]
    return out


def vqa_captions():
    out = [q["question"] for q in json.load(open(os.path.join(DATA, "vqav2/questions.json")))["questions"]]
    for ann in json.load(open(os.path.join(DATA, "vqav2/annotations.json")))["annotations"]:
        out += sorted({a["answer"] for a in ann["answers"]})
    return out


def lvis_categories():
    return json.load(open(os.path.join(DATA, "lvis/lvis_val_100.json"), encoding="utf-8"))["categories"]


def clean_lvis_name(name):
    # As MDETR's LVIS modulated detection prints category names: no "(...)", spaces for "_".
    name = re.sub(r"\(.*\)", "", name)
    name = re.sub(r"_", " ", name)
    return re.sub(r"  ", " ", name).strip()


def lvis_captions(categories, rng):
    """Every category name as stored (underscores, parentheses), and a sample of the cleaned
    names, other synonyms and definitions (to keep the golden file small)."""
    out = [c["name"] for c in categories]
    out += [clean_lvis_name(c["name"]) for c in rng.sample(categories, 200)]
    synonyms = [s for c in categories for s in c["synonyms"] if s != c["name"]]
    out += rng.sample(synonyms, 150)
    out += [c["def"] for c in rng.sample(categories, 500)]
    return out


def lvis_span_captions(categories, rng, count):
    """Captions listing category names ("a. b. c"), one span per name; some exceed 256 tokens."""
    out = []
    names = [clean_lvis_name(c["name"]) for c in categories]
    for i in range(count):
        k = rng.choice([3, 8, 20, 60, 120]) if i >= 2 else 150
        chosen = rng.sample(names, k)
        text, spans = "", []
        for name in chosen:
            if text:
                text += ". "
            spans.append([[len(text), len(text) + len(name)]])
            text += name
        out.append((text, spans))
    return out


CLEVR_VALUES = {
    "Z": ["small", "large"],
    "C": ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"],
    "M": ["rubber", "metal"],
    "S": ["cube", "sphere", "cylinder", "thing"],
    "R": ["left of", "right of", "behind", "in front of"],
}


def clevr_captions(rng):
    templates = []
    for path in sorted(glob.glob(os.path.join(DATA, "clevr/*.json"))):
        for family in json.load(open(path, encoding="utf-8")):
            templates += family["text"]
    filled = []
    for t in rng.sample(templates, 80):
        filled.append(re.sub(r"<([ZCMSR])\d?>", lambda m: rng.choice(CLEVR_VALUES[m.group(1)] + [""]), t))
    return rng.sample(templates, 200) + filled


# ----------------------------------------------------------------------------------------------
# Generated captions

HANDMADE = [
    "A, <mask> AllenNLP sentence.",
    "Hello world! cécé herlolip",
    "", " ", "  ", "\t", "\n", "\r\n", " a", "a ", "  a  ", "a  b", "a   b ", "a\t\tb", "a \t b", "a\n\nb",
    "a\u00a0b", "a\u00a0 b", "a \u00a0b", "a\u3000 b", "a\u2009b", "a\u200bb", "a\u0085b", "a\u001cb",
    "a\u2028b", "\u00a0\u00a0x", "x\u00a0\u00a0", "\u3000\u3000",
    "it's", "It's", "IT'S", "we're", "they've", "I'm", "we'll", "he'd", "don't", "can't", "y'all",
    "rock'n'roll", "'s", "''", "'s'", "the dog's bone's", "it’s", "O'Neil's", "'tis", " 's", "a 're b",
    "<mask>", " <mask>", "  <mask>", "\t<mask>", "x<mask>y", "x <mask> y", "x \t <mask>y", "<mask><mask>",
    "<mask> <mask>", "a <mask>. <mask>", "x  \u00a0<mask>", "<s>", "</s>", "<pad>", "<unk>",
    "a <s>b</s> <pad><unk>", "<<mask>>", "<mask", "mask>", "<MASK>", "< mask>", "<s >", "<|endoftext|>",
    "<s><s></s>", " <s> ", "<Z> <C> <M> <S>s",
    "café", "naïve", "résumé", "São Paulo", "Zürich", "Ærøskøbing", "e\u0301", "cafe\u0301 ",
    "a\u0308\u0301", "n\u0303o", "\u0301", " \u0301", "\u0301a", "Åström", "Ελληνικά", "Русский язык",
    "日本語", "中文字符", "한국어", "ภาษาไทย", "हिन्दी", "العربية", "עברית", "日本語 🙂👍🏽",
    "🙂", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷🇩🇪", "❤\ufe0f", "a🙂b", " 🙂 ", "🙂🙂🙂", "𝒜𝒷𝒸", "𐄇𐄈",
    "3", "42", "3.14", "1,000,000", "-7", "+1", "10%", "$5.99", "€20", "٣٤٥", "Ⅻ", "½", "x²", "2nd",
    "1990s", "12:30pm", "a1b2c3", "007", "1 2  3", "٣ 4",
    "!!!", "?!", "...", "…", "—", "a—b", "\"quoted\"", "“curly”", "«guillemets»", "(parens)",
    "[brackets]", "{braces}", "a/b\\c", "@user", "#hashtag", "e-mail", "x_y", "~tilde~", "`tick`",
    "©®™", "°±×÷", "\x00", "\x7f", "a\x1bb", "\ue000", "\U0010ffff", "\uffff", "\ufeffBOM",
    "a" * 300, "ab" * 120, "supercalifragilisticexpialidocious", "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
    "ThisIsCamelCase", "ALLCAPS WORDS", "MiXeD cAsE", "http://example.com/a?b=c&d=e",
    "A man in a red shirt.", "Two dogs play in the snow .", " leading space", "trailing space ",
]

POOLS = {
    "word": ["a", "the", "man", "woman", "dog", "cat", "red", "blue", "shirt", "playing", "with", "ball",
             "snow", "water", "sitting", "table", "people", "A", "The", "Two", "child", "girl", "boy",
             "Is", "What", "there", "left", "right", "of", "in", "on", "under", "big", "small"],
    "accented": ["café", "naïve", "résumé", "Zürich", "São", "Ærø", "crème", "brûlée", "piñata", "Łódź",
                 "e\u0301", "o\u0308", "fiancée", "Dvořák", "İstanbul", "straße"],
    "script": ["日本", "語", "中文", "한국어", "Ελλάδα", "Москва", "ภาษา", "हिन्दी", "العربية", "עברית",
               "ქართული", "Հայերեն", "ᚠᚢᚦ", "ꦗꦮ", "𝒜𝒷", "𐌰𐌱"],
    "emoji": ["🙂", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "❤\ufe0f", "🐶", "🚀", "✨", "🍕🍔", "☕"],
    "mark": ["\u0301", "\u0308", "\u0303", "\u20dd", "\u0345", "\u093f", "\u0e31", "\u05b8"],
    "number": ["0", "3", "42", "3.14", "1,000", "2021", "١٢٣", "Ⅻ", "½", "²", "٣", "10th", "99%", "𐄇"],
    "punct": [".", ",", "!", "?", ";", ":", "-", "—", "…", "'", "\"", "“", "”", "(", ")", "[", "]", "/",
              "&", "*", "#", "@", "$", "€", "%", "©", "<", ">", "|", "~", "`", "^", "=", "+"],
    "contraction": ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "’s", "n't", "'x"],
    "special": ["<mask>", "<s>", "</s>", "<pad>", "<unk>", "<|endoftext|>", "<MASK>", "<ma sk>"],
}
SEPARATORS = [" "] * 12 + ["", "  ", "   ", "\t", "\n", "\r\n", " \t ", "\u00a0", "\u3000", "\u2009", " \n "]


def generated_captions(rng, count):
    kinds = list(POOLS)
    weights = [10, 3, 3, 2, 1, 3, 4, 2, 1]
    out = []
    for _ in range(count):
        n = rng.randint(1, 14)
        parts = []
        for i in range(n):
            if i:
                parts.append(rng.choice(SEPARATORS))
            parts.append(rng.choice(POOLS[rng.choices(kinds, weights)[0]]))
        text = "".join(parts)
        if rng.random() < 0.15:
            text = rng.choice([" ", "  ", "\t", "\n"]) + text
        if rng.random() < 0.15:
            text += rng.choice([" ", "  ", "\t", "\n", " ."])
        out.append(text)
    return out


def random_code_point_captions(rng, count):
    """Strings of random code points from all planes (assigned or not), to cover the classes."""
    out = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 16)):
            plane = rng.random()
            if plane < 0.3:
                cp = rng.randint(0x20, 0x2FF)
            elif plane < 0.8:
                cp = rng.randint(0x300, 0xFFFF)
            else:
                cp = rng.randint(0x10000, 0x10FFFF)
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0x20
            chars.append(chr(cp))
        out.append("".join(chars))
    return out


def random_spans(rng, text):
    """Box span lists that hit word starts and ends, whitespace, single characters, the text's
    ends and beyond, so every fallback of the reference is exercised."""
    n = len(text)
    boxes = []
    for _ in range(rng.randint(0, 4)):
        spans = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            if n == 0:
                begin, end = 0, rng.randint(1, 3)
            else:
                begin = rng.randrange(n)
                end = min(n + rng.randint(0, 2), begin + rng.randint(1, 12))
            spans.append([begin, end])
        boxes.append(spans)
    return boxes


# ----------------------------------------------------------------------------------------------
# The reference's positive map, from spec §3.3, on the Hugging Face encoding


def reference_positive_map(encoding, spans_per_box):
    def char_to_token(c):
        if c < 0:  # the fast tokenizer takes an unsigned index: a negative one raises
            raise OverflowError("negative character index")
        return encoding.char_to_token(c)

    positive_map = np.zeros((len(spans_per_box), WIDTH), dtype=np.float32)
    for j, spans in enumerate(spans_per_box):
        for begin, end in spans:
            # Outside try, as in the reference: spans here always have 0 <= begin < end.
            begin_token = char_to_token(begin)
            end_token = char_to_token(end - 1)
            if begin_token is None:
                try:
                    begin_token = char_to_token(begin + 1)
                    if begin_token is None:
                        begin_token = char_to_token(begin + 2)
                except Exception:
                    begin_token = None
            if end_token is None:
                try:
                    end_token = char_to_token(end - 2)
                    if end_token is None:
                        end_token = char_to_token(end - 3)
                except Exception:
                    end_token = None
            if begin_token is None or end_token is None:
                continue
            positive_map[j, begin_token : end_token + 1] = 1.0
    return positive_map / (positive_map.sum(-1)[:, None] + np.float32(1e-6))


# ----------------------------------------------------------------------------------------------


WHITE_SPACE = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
WHITE_SPACE |= set(range(0x2000, 0x200B))


def pretokenizer_classes(tok):
    """The pre-tokenizer's own view of \\p{L}, \\p{N} and \\s for every code point, found by probing
    it: "a"+c stays one piece iff c is a letter, "1"+c iff a number, and "!"+c splits in two for a
    non-letter, non-number c iff c is whitespace. Returns {name: [[first, last], ...]}."""
    pre = tok.backend_tokenizer.pre_tokenizer
    members = {"letter": [], "number": [], "whitespace": []}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        letter = len(pre.pre_tokenize_str("a" + c)) == 1
        number = len(pre.pre_tokenize_str("1" + c)) == 1
        if letter:
            members["letter"].append(cp)
        if number:
            members["number"].append(cp)
        if not letter and not number and len(pre.pre_tokenize_str("!" + c)) == 2:
            members["whitespace"].append(cp)
    ranges = {}
    for name, cps in members.items():
        out = []
        for cp in cps:
            if out and out[-1][1] == cp - 1:
                out[-1][1] = cp
            else:
                out.append([cp, cp])
        ranges[name] = out
    return ranges


def check_classes(classes):
    """Compares the pre-tokenizer's classes with unicodedata's categories (the source of
    model/text/unicode_tables.cc) and the White_Space list of model/text/unicode_classes.cc."""
    def expand(ranges):
        return {cp for first, last in ranges for cp in range(first, last + 1)}

    expected = {
        "letter": {cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp))[0] == "L"},
        "number": {cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp))[0] == "N"},
        "whitespace": WHITE_SPACE,
    }
    mismatches = 0
    for name, ranges in classes.items():
        diff = sorted(expand(ranges) ^ expected[name])
        mismatches += len(diff)
        if diff:
            print(f"{name}: {len(diff)} code points differ, e.g. {[hex(cp) for cp in diff[:10]]}")
    print(f"classes: {mismatches} mismatches with unicodedata {unicodedata.unidata_version} over all code points")
    return mismatches == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--check-classes", action="store_true")
    parser.add_argument("--any-version", action="store_true",
                        help="run with other transformers/tokenizers versions than MDETR's (for comparison)")
    args = parser.parse_args()
    if (transformers.__version__, tokenizers.__version__) != ("4.5.1", "0.10.3") and not args.any_version:
        sys.exit(f"transformers {transformers.__version__} / tokenizers {tokenizers.__version__}: the goldens come "
                 "from MDETR's transformers 4.5.1 / tokenizers 0.10.3 (see requirements.txt); --any-version overrides")

    tok = load_tokenizer()
    classes = pretokenizer_classes(tok)
    if args.check_classes and not check_classes(classes):
        sys.exit(1)
    rng = random.Random(20261125)
    categories = lvis_categories()

    captions = []  # (source, text)
    span_captions = []  # (source, text, spans per box)
    for text, spans in flickr_captions():
        captions.append(("flickr30k", text))
        span_captions.append(("flickr30k", text, spans))
    captions += [("gqa", t) for t in gqa_captions()]
    captions += [("vqav2", t) for t in vqa_captions()]
    captions += [("lvis", t) for t in lvis_captions(categories, rng)]
    captions += [("clevr", t) for t in clevr_captions(rng)]
    for text, spans in lvis_span_captions(categories, rng, 12):
        captions.append(("lvis_list", text))
        span_captions.append(("lvis_list", text, spans))
    captions += [("handmade", t) for t in HANDMADE]
    generated = generated_captions(rng, 700)
    captions += [("generated", t) for t in generated]
    captions += [("random_code_points", t) for t in random_code_point_captions(rng, 150)]
    for text in rng.sample(generated, 250) + HANDMADE[:60] + [t for _, t in captions if _ == "gqa"]:
        span_captions.append(("random_spans", text, random_spans(rng, text)))

    # Unique texts, first occurrence kept, so the test reports each caption once.
    seen, unique = set(), []
    for source, text in captions:
        if text not in seen:
            seen.add(text)
            unique.append((source, text))
    for _, text, _ in span_captions:
        if text not in seen:
            seen.add(text)
            unique.append(("random_spans", text))
    index_of = {text: i for i, (_, text) in enumerate(unique)}

    out_captions = []
    for source, text in unique:
        enc = tok(text)
        encoding = enc.encodings[0]
        offsets = [x for span in encoding.offsets for x in span]
        c2t = [enc.char_to_token(c) for c in range(len(text) + 2)]
        # token_to_chars is the token's offsets except where it is None (the added <s>, </s>).
        token_to_chars_none = []
        for t in range(len(enc["input_ids"])):
            span = token_to_chars(enc, t)
            if span is None:
                token_to_chars_none.append(t)
            else:
                assert span == tuple(encoding.offsets[t]), (text, t)
        out_captions.append({
            "source": source,
            "text": text,
            "ids": enc["input_ids"],
            "offsets": offsets,
            "char_to_token": [-1 if t is None else t for t in c2t],
            "token_to_chars_none": token_to_chars_none,
        })

    batches = []
    for size in [1, 2, 3, 4, 5, 8, 8, 16, 32]:
        members = rng.sample(range(len(unique)), size)
        enc = tok.batch_encode_plus([unique[i][1] for i in members], padding="longest")
        batches.append({"captions": members, "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})

    positive_maps = []
    for source, text, spans in span_captions:
        pm = reference_positive_map(tok(text, return_tensors=None), spans)
        rows = [[[int(j), float(row[j])] for j in np.nonzero(row)[0]] for row in pm]
        positive_maps.append({"source": source, "caption": index_of[text], "spans": spans, "rows": rows})

    doc = {
        "generator": "tools/parity/tokenizer/make_goldens.py",
        "tokenizer": f"RobertaTokenizerFast (transformers {transformers.__version__}, tokenizers {tokenizers.__version__}) "
                     "on ../shared/data/tokenizer/roberta-base, add_prefix_space=False, trim_offsets=True",
        "notes": "offsets are flat [start0, end0, start1, end1, ...] in code points; char_to_token covers "
                 "characters 0..len(text)+1 with -1 for None; token_to_chars_none lists the tokens whose "
                 "token_to_chars is None (for the others it equals the offsets); "
                 "positive map rows are sparse [column, value] lists of a [boxes, 256] float32 map; "
                 "unicode_classes are the pre-tokenizer's letter/number/whitespace classes as inclusive "
                 "code point ranges, found by probing it on every code point",
        "captions": out_captions,
        "batches": batches,
        "positive_maps": positive_maps,
        "unicode_classes": classes,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("{\n")
        for key in ["generator", "tokenizer", "notes", "unicode_classes"]:
            f.write(f"{json.dumps(key)}: {json.dumps(doc[key], ensure_ascii=False)},\n")
        for key in ["captions", "batches", "positive_maps"]:
            f.write(f"{json.dumps(key)}: [\n")
            items = doc[key]
            for i, item in enumerate(items):
                f.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
                f.write(",\n" if i + 1 < len(items) else "\n")
            f.write("]" + (",\n" if key != "positive_maps" else "\n"))
        f.write("}\n")
    by_source = {}
    for source, _ in unique:
        by_source[source] = by_source.get(source, 0) + 1
    print(f"{args.out}: {len(unique)} captions {by_source}, {len(batches)} batches, "
          f"{len(positive_maps)} positive maps, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
