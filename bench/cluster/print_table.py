"""Prints bench/cluster/run's results side by side: ours and Ray's (measured here, or published)."""
import json
import os
import re
import sys

# Ray's release microbenchmarks on one node (ray-project/ray release tests), used only when Ray
# could not be measured here.
RAY_PUBLISHED = {"async_tasks_per_s": 8000.0, "placement_groups_per_s": 765.0}


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def store_rate(path):
    """commits/s of the one-writer synced case in store_bench's table."""
    try:
        text = open(path).read()
    except OSError:
        return None
    for line in text.splitlines():
        if line.lower().startswith("1 writer") or re.match(r"^one writer", line.lower()):
            nums = re.findall(r"\s(\d+(?:\.\d+)?)", line)
            if nums:
                return float(nums[0])
    return None


def fmt(v, unit, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f} {unit}"


def main():
    d = sys.argv[1]
    ours = load(os.path.join(d, "ours.json")) or {}
    ray = load(os.path.join(d, "ray.json"))
    sched = load(os.path.join(d, "scheduler.json")) or {}
    store = store_rate(os.path.join(d, "store.txt"))
    measured = ray is not None
    r = ray if measured else RAY_PUBLISHED
    tag = "" if measured else " (published)"
    rows = [
        ("submit throughput, coordinator alone, 1 client (jobs/s)",
         fmt(ours.get("submit_jobs_per_s_no_workers"), "/s"), "-"),
        ("  its round trip p50 / p99 (ms)",
         f"{fmt(ours.get('submit_rtt_ms_p50_no_workers'), '', 2)}/ {fmt(ours.get('submit_rtt_ms_p99_no_workers'), '', 2)}",
         "-"),
        (f"submit throughput, coordinator alone, {ours.get('clients', '?')} clients (jobs/s)",
         fmt(ours.get("submit_jobs_per_s_no_workers_n_clients"), "/s"), "-"),
        ("submit throughput, 1 client (jobs/s; Ray: async tasks/s)",
         fmt(ours.get("submit_jobs_per_s_1_client"), "/s"), fmt(r.get("async_tasks_per_s"), "/s") + tag),
        (f"submit throughput, {ours.get('clients', '?')} clients (jobs/s)",
         fmt(ours.get("submit_jobs_per_s_n_clients"), "/s"), "-"),
        ("  its round trip p50 / p99 (ms)",
         f"{fmt(ours.get('submit_rtt_ms_p50'), '', 2)}/ {fmt(ours.get('submit_rtt_ms_p99'), '', 2)}", "-"),
        ("submit returned -> running p50 (ms)", fmt(ours.get("ack_to_started_ms_p50"), "ms", 1),
         fmt(r.get("submit_to_running_ms_p50"), "ms", 2) if measured else "-"),
        ("submit returned -> running p99 (ms)", fmt(ours.get("ack_to_started_ms_p99"), "ms", 1),
         fmt(r.get("submit_to_running_ms_p99"), "ms", 2) if measured else "-"),
        ("submit returned -> running, seen by a polling client p50 / p99 (ms)",
         f"{fmt(ours.get('ack_to_seen_ms_p50'), '', 1)}/ {fmt(ours.get('ack_to_seen_ms_p99'), '', 1)}", "-"),
        ("submit returned -> task program's first report p50 / p99 (ms)",
         f"{fmt(ours.get('ack_to_task_exit_ms_p50'), '', 0)}/ {fmt(ours.get('ack_to_task_exit_ms_p99'), '', 0)}", "-"),
        ("submit sent -> placed p50 / p99 (ms)",
         f"{fmt(ours.get('send_to_placed_ms_p50'), '', 1)}/ {fmt(ours.get('send_to_placed_ms_p99'), '', 1)}", "-"),
        ("gang placement (Ray: placement groups, 2 x {CPU: 0.01})",
         "-", fmt(r.get("placement_groups_per_s"), "/s") + tag),
        (f"scheduler core decisions/s ({sched.get('nodes', 500)} x {sched.get('gpus_per_node', 8)} GPUs, simulated)",
         fmt(sched.get("decisions_per_s"), "/s"), "-"),
        ("scheduler core submit -> placement p50 / p99 (us)",
         f"{fmt(sched.get('submit_to_place_us_p50'), '', 1)}/ {fmt(sched.get('submit_to_place_us_p99'), '', 1)}", "-"),
        ("synced state writes, 1 writer (commits/s)", fmt(store, "/s"), "-"),
    ]
    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows + [("", "mdetr-cluster", "")])
    print()
    print(f"{'':{w0}}  {'mdetr-cluster':>{w1}}  Ray {r.get('ray_version', '') if measured else ''}".rstrip())
    for name, a, b in rows:
        print(f"{name:{w0}}  {a:>{w1}}  {b}")
    print()
    print(f"ours: {ours.get('workers', '?')} workers, each job a real mdetr-ml task (launched as a new process); "
          "a job is acknowledged after a synced RocksDB commit;")
    print("      'running' = the worker forked the rank (coordinator clock, +-0.5 ms); the task program's first "
          "report adds exec and LibTorch loading.")
    if measured:
        print(f"Ray: local node, num_cpus={ray.get('cpus')}, warm worker pool; tasks are in-memory, not persisted.")
    else:
        print("Ray: not measured here; figures from its published release microbenchmarks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
