"""Ray on this machine, measured the way bench/cluster/cluster_bench measures our cluster.

Three figures, each named after the Ray release microbenchmark it mirrors:
  * async task submission: submit N trivial remote functions without waiting, then get them all
    (single_client_tasks_async), in tasks/s;
  * placement groups: create a group of 2 bundles of {"CPU": 0.01}, wait until it is ready,
    remove it (placement_group_create/removal), in groups/s;
  * submit -> running: one trivial task at a time; the time from .remote() returning to the task's
    first line, read with the same wall clock (time.time() in both processes), p50/p99 in ms.
Prints one JSON object on stdout (--json) or a short table.
"""
import argparse
import json
import statistics
import sys
import time


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10000, help="async tasks per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each throughput case (median kept)")
    ap.add_argument("--groups", type=int, default=300, help="placement groups per round")
    ap.add_argument("--latency-tasks", type=int, default=200, help="sequential tasks for submit -> running")
    ap.add_argument("--cpus", type=int, default=4, help="num_cpus given to the local Ray node")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import ray
    from ray.util.placement_group import placement_group, remove_placement_group

    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="ERROR", log_to_driver=False)

    @ray.remote
    def small_value():
        return b"ok"

    @ray.remote
    def started_at():
        return time.time()

    # Warm up the worker pool, as Ray's own microbenchmarks do before timing.
    ray.get([small_value.remote() for _ in range(1000)])
    ray.get([started_at.remote() for _ in range(args.cpus * 4)])

    task_rates = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        ray.get([small_value.remote() for _ in range(args.tasks)])
        task_rates.append(args.tasks / (time.perf_counter() - t0))

    pg_rates = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for _ in range(args.groups):
            pg = placement_group([{"CPU": 0.01}, {"CPU": 0.01}])
            ray.get(pg.ready())
            remove_placement_group(pg)
        pg_rates.append(args.groups / (time.perf_counter() - t0))

    latencies_ms = []
    for _ in range(args.latency_tasks):
        ref = started_at.remote()
        returned = time.time()
        latencies_ms.append((ray.get(ref) - returned) * 1000.0)

    ray.shutdown()
    out = {
        "ray_version": ray.__version__,
        "cpus": args.cpus,
        "async_tasks_per_s": statistics.median(task_rates),
        "placement_groups_per_s": statistics.median(pg_rates),
        "submit_to_running_ms_p50": percentile(latencies_ms, 50),
        "submit_to_running_ms_p99": percentile(latencies_ms, 99),
        "latency_samples": len(latencies_ms),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:32s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
