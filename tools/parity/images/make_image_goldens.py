#!/usr/bin/env python3
"""Makes the image-decoding goldens used by tests/image/.

1. Writes small fixture images covering the decoder's edge cases (grayscale, CMYK and EXIF-rotated
   JPEGs; 1/4/8/16-bit grayscale, palette, alpha, 16-bit and interlaced PNGs) into
   tests/image/testdata/.
2. Loads every fixture and every real image under ../shared/data the way the MDETR reference does,
   PIL.Image.open(path).convert("RGB") (no EXIF transpose), and records width, height, the CRC-32 of the
   RGB bytes (HWC) and the per-channel mean in tests/image/testdata/pil_goldens.json.

Run from the repository root with a Python that has pillow, numpy and pypng:
  python3 -m venv /tmp/venv-img && /tmp/venv-img/bin/pip install pillow numpy pypng
  /tmp/venv-img/bin/python tools/parity/images/make_image_goldens.py
"""
import io
import json
import os
import sys
import zlib

import numpy as np
import png  # pypng: writes the bit depths PIL cannot (2/4-bit gray, 16-bit RGB)
from PIL import Image, features

OUT = "tests/image/testdata"
SHARED = "../shared/data"


def pattern(h, w, channels, maxval):
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 7 + y * 3) % (maxval + 1), (x * y + 11) % (maxval + 1), ((x - y) * 5) % (maxval + 1),
              (x * 13 + y * 17) % (maxval + 1)]
    return np.stack(planes[:channels], axis=-1).astype(np.uint16 if maxval > 255 else np.uint8)


def wide(h, w, channels):
    """16-bit samples spread over the whole range, so the high byte varies."""
    return (pattern(h, w, channels, 65535).astype(np.uint32) * 997 % 65536).astype(np.uint16)


def write_pypng(name, arr, greyscale, alpha, bitdepth, interlace=False):
    h, w = arr.shape[:2]
    rows = arr.reshape(h, -1).tolist()
    with open(os.path.join(OUT, name), "wb") as f:
        png.Writer(w, h, greyscale=greyscale, alpha=alpha, bitdepth=bitdepth, interlace=interlace).write(f, rows)


def make_fixtures():
    os.makedirs(OUT, exist_ok=True)
    h, w = 24, 40
    rgb = pattern(h, w, 3, 255)
    # PNG variants.
    Image.fromarray(rgb[..., 0], "L").save(os.path.join(OUT, "gray8.png"))
    Image.fromarray(rgb[..., 0] > 127).convert("1").save(os.path.join(OUT, "gray1.png"))
    write_pypng("gray4.png", pattern(h, w, 1, 15)[..., 0], True, False, 4)
    write_pypng("gray16.png", wide(h, w, 1)[..., 0], True, False, 16)
    write_pypng("gray16_small.png", pattern(h, w, 1, 300)[..., 0], True, False, 16)
    Image.fromarray(pattern(h, w, 2, 255), "LA").save(os.path.join(OUT, "gray_alpha8.png"))
    write_pypng("gray_alpha16.png", wide(h, w, 2), True, True, 16)
    Image.fromarray(rgb, "RGB").save(os.path.join(OUT, "rgb8.png"))
    Image.fromarray(pattern(h, w, 4, 255), "RGBA").save(os.path.join(OUT, "rgba8.png"))
    write_pypng("rgb16.png", wide(h, w, 3), False, False, 16)
    write_pypng("rgba16.png", wide(h, w, 4), False, True, 16)
    write_pypng("rgb8_interlaced.png", rgb, False, False, 8, interlace=True)
    pal = Image.fromarray(rgb, "RGB").quantize(colors=16)
    pal.save(os.path.join(OUT, "palette.png"))
    pal.save(os.path.join(OUT, "palette_trns.png"), transparency=3)
    # JPEG variants.
    big = pattern(96, 128, 3, 255)
    Image.fromarray(big[..., 1], "L").save(os.path.join(OUT, "gray.jpg"), quality=90)
    Image.fromarray(big, "RGB").convert("CMYK").save(os.path.join(OUT, "cmyk.jpg"), quality=90)
    Image.fromarray(big, "RGB").save(os.path.join(OUT, "progressive.jpg"), quality=85, progressive=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display. The reference ignores it.
    Image.fromarray(big, "RGB").save(os.path.join(OUT, "exif_orientation6.jpg"), quality=90, exif=exif)


def golden(path):
    im = Image.open(path)
    mode = im.mode
    arr = np.asarray(im.convert("RGB"))
    return {
        "file": path,
        "pil_mode": mode,
        "width": int(arr.shape[1]),
        "height": int(arr.shape[0]),
        "crc32": zlib.crc32(arr.tobytes()),
        "mean": [float(arr[..., c].mean()) for c in range(3)],
    }


def main():
    make_fixtures()
    files = sorted(os.path.join(OUT, f) for f in os.listdir(OUT) if f.endswith((".png", ".jpg")))
    for root, _, names in os.walk(SHARED):
        files += sorted(os.path.join(root, n) for n in names if n.endswith((".png", ".jpg")))
    goldens = [golden(f) for f in sorted(files)]
    meta = {"tool": "PIL.Image.open(path).convert('RGB')", "pillow": Image.__version__,
            "libjpeg_turbo": features.version("libjpeg_turbo")}
    with open(os.path.join(OUT, "pil_goldens.json"), "w") as f:
        json.dump({"meta": meta, "images": goldens}, f, indent=1)
    print(f"{len(goldens)} goldens written", file=sys.stderr)


if __name__ == "__main__":
    main()
