#!/usr/bin/env python3
"""Times scipy.optimize.linear_sum_assignment on matrices written by assignment_bench.

Usage: scipy_timing.py ROUNDS MIN_ROUND_SECONDS FILE ROWS COLS COUNT [FILE ROWS COLS COUNT ...]
Each FILE holds COUNT float32 matrices (ROWS x COLS, row-major, little-endian). Prints a line
"scipy VERSION", then per file "ROWS COLS SECONDS_PER_SOLVE TOTAL_COST_SUM", where the time is the
process CPU time, median over ROUNDS rounds, each solving every matrix as many times as fill MIN_ROUND_SECONDS.
Exits with status 3 if scipy is missing.
"""
import statistics
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.optimize import linear_sum_assignment
except ImportError as e:
    print(f"scipy missing: {e}", file=sys.stderr)
    sys.exit(3)


def per_solve_seconds(mats, rounds, min_round_seconds):
    loops = 1
    while True:  # Find a loop count that fills a round.
        start = time.process_time()
        for _ in range(loops):
            for m in mats:
                linear_sum_assignment(m)
        if time.process_time() - start >= min_round_seconds:
            break
        loops *= 2
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(loops):
            for m in mats:
                linear_sum_assignment(m)
        times.append((time.process_time() - start) / (loops * len(mats)))
    return statistics.median(times)


def main(argv):
    rounds, min_round_seconds = int(argv[1]), float(argv[2])
    print(f"scipy {scipy.__version__}", flush=True)
    args = argv[3:]
    for k in range(0, len(args), 4):
        path, rows, cols, count = args[k], int(args[k + 1]), int(args[k + 2]), int(args[k + 3])
        mats = list(np.fromfile(path, dtype="<f4").reshape(count, rows, cols))
        total = 0.0
        for m in mats:
            r, c = linear_sum_assignment(m)
            total += float(m[r, c].astype(np.float64).sum())
        seconds = per_solve_seconds(mats, rounds, min_round_seconds)
        print(f"{rows} {cols} {seconds:.9e} {total:.17g}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
