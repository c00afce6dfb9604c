#include "coordinator/scheduler/sim/workload.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace mdetr::scheduler::sim {

std::vector<TaskArrival> MakeTasks(const WorkloadOptions& options) {
  std::mt19937_64 rng(options.seed);
  // Small jobs dominate, as in a real sweep-heavy cluster; big gangs are rare but long.
  const int sizes[] = {1, 2, 4, 8, 16, 32};
  std::discrete_distribution<int> size_pick({40, 20, 15, 15, 7, 3});
  std::uniform_int_distribution<int> priority_pick(0, std::max(0, options.priorities - 1));
  std::exponential_distribution<double> duration_pick(1.0 / options.mean_duration_s);
  std::bernoulli_distribution coin(0.5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  // Mean GPUs per task from the size distribution, to turn the offered load into an arrival rate.
  const double weights[] = {40, 20, 15, 15, 7, 3};
  double mean_gpus = 0;
  for (int i = 0; i < 6; ++i) mean_gpus += weights[i] * sizes[i] / 100.0;
  const double capacity = double{1.0} * options.nodes * options.gpus_per_node;
  const double arrivals_per_s = options.load * capacity / (mean_gpus * options.mean_duration_s);
  std::exponential_distribution<double> gap_pick(arrivals_per_s);

  std::vector<TaskArrival> tasks;
  tasks.reserve(static_cast<size_t>(options.tasks));
  double now_s = 0;
  for (int i = 0; i < options.tasks; ++i) {
    now_s += gap_pick(rng);
    TaskArrival t;
    t.at = static_cast<SimTime>(now_s * 1e6);
    const int gpus = sizes[size_pick(rng)];
    const int per_rank = coin(rng) ? 1 : std::min(gpus, options.gpus_per_node);
    t.spec.id = fmt::format("task-{}", i);
    t.spec.priority = priority_pick(rng);
    t.spec.ranks = gpus / per_rank;
    t.spec.gpus_per_rank = per_rank;
    if (options.cpu_nodes > 0 && unit(rng) < options.cpu_task_fraction) {
      t.spec.ranks = std::uniform_int_distribution<int>(1, 4)(rng);
      t.spec.gpus_per_rank = 0;
      t.spec.cpus_per_rank = std::uniform_int_distribution<int>(1, 8)(rng);
    } else if (unit(rng) < options.h100_task_fraction) {
      t.spec.required_labels = {{"gpu", "h100"}};
    }
    // Durations between 10 s and 8 h.
    t.duration = static_cast<SimTime>(std::clamp(duration_pick(rng), 10.0, 8 * 3600.0) * 1e6);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace mdetr::scheduler::sim
