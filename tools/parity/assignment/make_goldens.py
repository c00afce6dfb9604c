#!/usr/bin/env python3
"""Writes the golden assignments of scipy.optimize.linear_sum_assignment for our solver's tests.

Usage (scipy and numpy in any Python, e.g. a virtual environment under /tmp):
    python3 -m venv /tmp/venv-lap && /tmp/venv-lap/bin/pip install numpy scipy
    /tmp/venv-lap/bin/python tools/parity/assignment/make_goldens.py tests/data/assignment/scipy_goldens.bin

The matrices are drawn from fixed seeds, so rerunning writes the same file for a given scipy.

Each case records scipy's (row_ind, col_ind), its total cost, and whether the optimum is unique.
Uniqueness is decided exactly: any other assignment lacks at least one pair (i, j) of scipy's, so
the second-best cost is the minimum over those pairs of the optimum with (i, j) forbidden (+inf, or
-inf when maximizing). The optimum is marked unique when that second-best cost is worse by more
than 1e-9 times the sum of |assigned costs|; otherwise only the total cost is to be compared.

File format (little-endian):
    magic    8 bytes  b"MDLAPG01"
    u32 n, the generator text length; then n bytes of UTF-8 (scipy/numpy versions, seed)
    u32 number of cases; then per case:
      u8  family      0 uniform, 1 integer ties, 2 rectangular, 3 matcher-shaped (100 x n),
                      4 matcher-shaped integer ties, 5 large dynamic range
      u8  flags       bit 0 maximize, bit 1 optimum unique
      u8  dtype       0 int8, 1 float32, 2 float64 (how the entries are stored, exactly)
      u8  reserved    0
      u16 rows, u16 cols
      rows*cols entries, row-major, of the dtype
      f64 total cost of scipy's assignment (entries summed in row order)
      min(rows, cols) x u16 row_ind, then the same number of u16 col_ind
"""
import argparse
import struct
import sys

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

SEED = 20261125
MAGIC = b"MDLAPG01"
DTYPES = {np.dtype(np.int8): 0, np.dtype(np.float32): 1, np.dtype(np.float64): 2}


def total_cost(cost, rows, cols):
    total = 0.0
    for r, c in zip(rows, cols):
        total += float(cost[r, c])
    return total


def is_unique(cost, maximize, rows, cols, optimum):
    scale = sum(abs(float(cost[r, c])) for r, c in zip(rows, cols))
    tolerance = 1e-9 * scale
    work = cost.astype(np.float64)
    forbidden = -np.inf if maximize else np.inf
    for r, c in zip(rows, cols):
        saved = work[r, c]
        work[r, c] = forbidden
        try:
            alt_rows, alt_cols = linear_sum_assignment(work, maximize=maximize)
            alternative = total_cost(work, alt_rows, alt_cols)
        except ValueError:  # Infeasible: no assignment avoids this pair.
            alternative = None
        work[r, c] = saved
        if alternative is None:
            continue
        gap = optimum - alternative if maximize else alternative - optimum
        if gap <= tolerance:
            return False
    return True


def shape(rng, low, high):
    return int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))


def generate(rng):
    """Yields (family, matrix, maximize). Matrix dtypes are exactly what is stored."""
    for _ in range(1200):  # Small uniform, all shapes up to 8 x 8.
        r, c = shape(rng, 1, 8)
        yield 0, rng.random((r, c)).astype(np.float32), rng.random() < 0.25
    for _ in range(1200):  # Small integers: many ties, some negative.
        r, c = shape(rng, 1, 10)
        low, high = [(0, 1), (0, 3), (0, 9), (-5, 5)][int(rng.integers(4))]
        yield 1, rng.integers(low, high + 1, (r, c)).astype(np.int8), rng.random() < 0.25
    for _ in range(300):  # Rectangular both ways, up to 3x longer on one side.
        n = int(rng.integers(1, 21))
        m = int(rng.integers(n, 3 * n + 1))
        r, c = (n, m) if rng.random() < 0.5 else (m, n)
        yield 2, (rng.random((r, c)) * 10 - 5).astype(np.float32), rng.random() < 0.25
    for _ in range(100):  # The matcher's shape: 100 queries x a few targets, costs like 5 L1 + 2 GIoU.
        n = int(rng.integers(1, 13))
        yield 3, (rng.random((100, n)) * 8 - 2).astype(np.float32), False
    for _ in range(100):  # The same shape with heavy ties.
        n = int(rng.integers(1, 13))
        yield 4, rng.integers(0, 5, (100, n)).astype(np.int8), rng.random() < 0.25
    for _ in range(400):  # Large dynamic range: magnitudes 1e-8 .. 1e8 (some 1e-150 .. 1e150), both signs.
        r, c = shape(rng, 1, 10)
        span = 150 if rng.random() < 0.25 else 8
        sign = np.where(rng.random((r, c)) < 0.5, -1.0, 1.0)
        yield 5, sign * 10.0 ** rng.uniform(-span, span, (r, c)), rng.random() < 0.25


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    args = parser.parse_args()

    generator = f"scipy {scipy.__version__}, numpy {np.__version__}, seed {SEED}".encode()
    out = bytearray(MAGIC)
    out += struct.pack("<I", len(generator)) + generator
    cases = list(generate(np.random.default_rng(SEED)))
    out += struct.pack("<I", len(cases))
    unique_count = 0
    for family, matrix, maximize in cases:
        rows, cols = linear_sum_assignment(matrix, maximize=maximize)
        optimum = total_cost(matrix, rows, cols)
        unique = is_unique(matrix, maximize, rows, cols, optimum)
        unique_count += unique
        flags = (1 if maximize else 0) | (2 if unique else 0)
        out += struct.pack("<BBBBHH", family, flags, DTYPES[matrix.dtype], 0, *matrix.shape)
        out += np.ascontiguousarray(matrix).astype(matrix.dtype.newbyteorder("<")).tobytes()
        out += struct.pack("<d", optimum)
        out += np.asarray(rows, dtype="<u2").tobytes() + np.asarray(cols, dtype="<u2").tobytes()
    with open(args.output, "wb") as f:
        f.write(out)
    print(f"{args.output}: {len(cases)} cases ({unique_count} with a unique optimum), {len(out)} bytes, "
          f"{generator.decode()}", file=sys.stderr)


if __name__ == "__main__":
    main()
