// 500 workers x 8 GPUs, 50,000 gang tasks of 1 to 32 GPUs with random durations, priorities,
// failures, lost and drained workers; every step checked by the independent ledger.
#include <gtest/gtest.h>

#include "coordinator/scheduler/sim/simulator.h"

namespace mdetr::scheduler::sim {
namespace {

TEST(ClusterSimulationTest, FiveHundredWorkersFiftyThousandTasks) {
  SimOptions options;
  options.workload.seed = 2026;
  options.workload.nodes = 500;
  options.workload.gpus_per_node = 8;
  options.workload.tasks = 50'000;
  const SimReport report = RunSimulation(options);
  for (const std::string& v : report.violations) ADD_FAILURE() << v;
  EXPECT_EQ(report.unfinished, 0);
  EXPECT_EQ(report.rejected, 0);
  EXPECT_EQ(report.succeeded + report.failed + report.cancelled, options.workload.tasks);
  EXPECT_GT(report.requeued, 0);
  EXPECT_GT(report.head_waits_checked, 0);
  std::printf("steps %lld, placements %lld, simulated %.1f h, max pending %zu, core %.2f s\n",
              static_cast<long long>(report.steps), static_cast<long long>(report.placements),
              report.simulated_hours, report.max_pending, report.core_seconds);
}

}  // namespace
}  // namespace mdetr::scheduler::sim
