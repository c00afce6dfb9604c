// Scheduling decisions per second and submit-to-placement latency of the scheduling core, driven
// by the simulated cluster (coordinator/scheduler/sim) with invariant checks off, so that only
// time spent inside Scheduler::Handle is counted.
//
//   scheduler_bench [--tasks N] [--nodes N] [--seed S] [--load L] [--mixed 1] [--json]
//
// --json prints the headline figures as one JSON object (for bench/cluster/run's combined table).
// --mixed 1 makes the cluster heterogeneous: a quarter of the GPU workers carry gpu=h100 and a
// fifth of the tasks require it; 40 CPU-only workers run 15% of the tasks.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "coordinator/scheduler/sim/simulator.h"

namespace {

using mdetr::scheduler::sim::Percentile;
using mdetr::scheduler::sim::RunSimulation;
using mdetr::scheduler::sim::SimOptions;
using mdetr::scheduler::sim::SimReport;

bool ParseArgs(int argc, char** argv, SimOptions* options, bool* json) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      *json = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "scheduler_bench: %s needs a value\n", flag.c_str());
      return false;
    }
    const char* value = argv[++i];
    char* end = nullptr;
    const double number = std::strtod(value, &end);
    if (end == value || *end != '\0' || number < 0) {
      std::fprintf(stderr, "scheduler_bench: %s %s: expected a non-negative number\n", flag.c_str(), value);
      return false;
    }
    if (flag == "--tasks") {
      options->workload.tasks = static_cast<int>(number);
    } else if (flag == "--nodes") {
      options->workload.nodes = static_cast<int>(number);
    } else if (flag == "--seed") {
      options->workload.seed = static_cast<uint64_t>(number);
    } else if (flag == "--load") {
      options->workload.load = number;
    } else if (flag == "--mixed") {
      if (number > 0) {
        options->workload.h100_node_fraction = 0.25;
        options->workload.h100_task_fraction = 0.2;
        options->workload.cpu_nodes = 40;
        options->workload.cpu_task_fraction = 0.15;
      }
    } else {
      std::fprintf(stderr,
                   "scheduler_bench: unknown flag %s (expected --tasks, --nodes, --seed, --load, --mixed, --json)\n",
                   flag.c_str());
      return false;
    }
  }
  return true;
}

void PrintLatency(const char* what, const std::vector<double>& us) {
  std::printf("  %-44s %8zu   p50 %7.1f us   p99 %7.1f us   p99.9 %8.1f us   max %8.1f us\n", what, us.size(),
              Percentile(us, 50), Percentile(us, 99), Percentile(us, 99.9), Percentile(us, 100));
}

}  // namespace

int main(int argc, char** argv) {
  SimOptions options;
  options.check_invariants = false;
  bool json = false;
  if (!ParseArgs(argc, argv, &options, &json)) return 2;
  const auto& w = options.workload;
  const SimReport r = RunSimulation(options);
  if (!r.violations.empty()) {
    std::fprintf(stderr, "scheduler_bench: the simulation reported: %s\n", r.violations.front().c_str());
    return 1;
  }

  if (json) {
    std::printf(
        "{\"nodes\": %d, \"gpus_per_node\": %d, \"tasks\": %d, \"decisions_per_s\": %.0f, "
        "\"events_per_s\": %.0f, \"submit_to_place_us_p50\": %.1f, \"submit_to_place_us_p99\": %.1f}\n",
        w.nodes, w.gpus_per_node, w.tasks, static_cast<double>(r.decisions) / r.core_seconds,
        static_cast<double>(r.steps) / r.core_seconds, Percentile(r.submit_to_place_us, 50),
        Percentile(r.submit_to_place_us, 99));
    return 0;
  }
  std::printf("Scheduling core, simulated cluster of %d workers x %d GPUs, %d tasks of 1-32 GPUs\n", w.nodes,
              w.gpus_per_node, w.tasks);
  if (w.cpu_nodes > 0) {
    std::printf(
        "(heterogeneous: %.0f%% of GPU workers gpu=h100, %.0f%% of tasks require it; %d CPU-only workers)\n",
        100 * w.h100_node_fraction, 100 * w.h100_task_fraction, w.cpu_nodes);
  }
  std::printf("(seed %llu, offered load %.2f, %.1f simulated hours, up to %zu tasks pending)\n\n",
              static_cast<unsigned long long>(w.seed), w.load, r.simulated_hours, r.max_pending);
  const double core = r.core_seconds;
  std::printf("Throughput (time inside Scheduler::Handle only: %.3f s)\n", core);
  std::printf("  %-44s %10lld   %10.0f /s\n", "events handled", static_cast<long long>(r.steps),
              static_cast<double>(r.steps) / core);
  std::printf("  %-44s %10lld   %10.0f /s   goal >= 10,000 /s\n",
              "decisions (place, kill, requeue, fail, ...)", static_cast<long long>(r.decisions),
              static_cast<double>(r.decisions) / core);
  std::printf("  %-44s %10lld   %10.0f /s\n\n", "gang placements", static_cast<long long>(r.placements),
              static_cast<double>(r.placements) / core);

  std::printf("Latency (wall time of the call that placed the task)\n");
  PrintLatency("submit -> placement, room free on arrival", r.submit_to_place_us);
  PrintLatency("room freed -> placement, task had waited", r.freed_to_place_us);
  PrintLatency("any event (all Handle calls)", r.handle_us);
  std::printf("  goal: submit -> placement p50 < 1 ms\n\n");

  std::printf("Queue wait in simulated time (cluster busy, not scheduler cost): p50 %.0f s, p99 %.0f s\n\n",
              Percentile(r.wait_s, 50), Percentile(r.wait_s, 99));

  std::printf("Ray, published figures (release microbenchmarks on one node; NOT measured here):\n");
  std::printf("  %-44s %10s   %10s\n", "single_client_tasks_async", "", "~8,000 /s");
  std::printf("  %-44s %10s   %10s\n", "placement_group_create/removal", "", "765 /s");
  std::printf(
      "Ours counts the scheduling core alone (no RPC, no process start); Ray's include its RPC path.\n");
  return 0;
}
