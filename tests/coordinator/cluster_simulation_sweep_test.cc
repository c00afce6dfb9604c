// Slow tier: the 500 x 8 GPU simulation over several seeds, overloaded (the queue keeps growing)
// and heterogeneous (labelled GPU workers, CPU-only workers), every step checked.
#include <gtest/gtest.h>

#include "coordinator/scheduler/sim/simulator.h"

namespace mdetr::scheduler::sim {
namespace {

class ClusterSimulationSweepTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ClusterSimulationSweepTest, OverloadedMixedClusterKeepsEveryInvariant) {
  SimOptions options;
  options.workload.seed = GetParam();
  options.workload.tasks = 20'000;
  options.workload.load = 1.2;
  options.workload.h100_node_fraction = 0.25;
  options.workload.h100_task_fraction = 0.2;
  options.workload.cpu_nodes = 40;
  options.workload.cpu_task_fraction = 0.15;
  options.workload.worker_losses = 40;
  options.workload.drains = 10;
  options.workload.flaky_nodes = 5;
  const SimReport report = RunSimulation(options);
  for (const std::string& v : report.violations) ADD_FAILURE() << v;
  EXPECT_EQ(report.unfinished, 0);
  EXPECT_GT(report.head_waits_checked, 0);
  EXPECT_GT(report.quarantined, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClusterSimulationSweepTest, ::testing::Values(11, 12, 13));

}  // namespace
}  // namespace mdetr::scheduler::sim
