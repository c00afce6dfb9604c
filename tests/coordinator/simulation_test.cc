// A small simulated cluster with every kind of fault, every step checked by the independent
// ledger in sim/invariant_checker.h. The 500-worker version is cluster_simulation_test.cc.
#include <gtest/gtest.h>

#include "coordinator/scheduler/sim/simulator.h"

namespace mdetr::scheduler::sim {
namespace {

SimOptions SmallCluster(uint64_t seed) {
  SimOptions options;
  options.workload.seed = seed;
  options.workload.nodes = 40;
  options.workload.tasks = 3000;
  options.workload.worker_losses = 6;
  options.workload.drains = 3;
  options.workload.flaky_nodes = 1;
  options.check_books_every = 1;
  return options;
}

void ExpectHealthy(const SimReport& report, int tasks) {
  for (const std::string& v : report.violations) ADD_FAILURE() << v;
  EXPECT_EQ(report.unfinished, 0) << "tasks left pending or running when the events ran out";
  EXPECT_EQ(report.rejected, 0) << "every gang size fits a cluster of 8-GPU workers";
  // Everything ended one way or another, and most of it well.
  EXPECT_EQ(report.succeeded + report.failed + report.cancelled, tasks);
  EXPECT_GT(report.succeeded, tasks * 9 / 10);
  EXPECT_GT(report.head_waits_checked, 0) << "no blocked queue head was ever checked";
}

TEST(SimulationTest, SmallClusterKeepsEveryInvariant) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const SimOptions options = SmallCluster(seed);
    const SimReport report = RunSimulation(options);
    ExpectHealthy(report, options.workload.tasks);
    EXPECT_GT(report.requeued, 0);     // faults did happen
    EXPECT_GT(report.quarantined, 0);  // the flaky worker was caught
  }
}

TEST(SimulationTest, OverloadedClusterKeepsEveryInvariant) {
  SimOptions options = SmallCluster(7);
  options.workload.load = 1.5;  // the queue grows: priorities and reservations matter most
  const SimReport report = RunSimulation(options);
  ExpectHealthy(report, options.workload.tasks);
  EXPECT_GT(report.max_pending, 100u);
}

TEST(SimulationTest, ShallowReservationDepthKeepsEveryInvariant) {
  // Only the first two blocked tasks hold capacity back: the rest must still never take capacity
  // a task ahead of them could start on.
  SimOptions options = SmallCluster(9);
  options.workload.load = 1.5;
  options.config.max_reservations = 2;
  const SimReport report = RunSimulation(options);
  ExpectHealthy(report, options.workload.tasks);
}

TEST(SimulationTest, MixedClusterWithLabelsAndCpuWorkersKeepsEveryInvariant) {
  SimOptions options = SmallCluster(5);
  options.workload.h100_node_fraction = 0.4;  // 16 of the 40 GPU workers
  options.workload.h100_task_fraction = 0.25;
  options.workload.cpu_nodes = 6;
  options.workload.cpu_task_fraction = 0.2;
  const SimReport report = RunSimulation(options);
  for (const std::string& v : report.violations) ADD_FAILURE() << v;
  EXPECT_EQ(report.unfinished, 0);
  EXPECT_GT(report.succeeded, options.workload.tasks * 9 / 10);
  EXPECT_GT(report.head_waits_checked, 0);
}

TEST(SimulationTest, SameSeedSameRun) {
  SimOptions options = SmallCluster(11);
  options.workload.tasks = 500;
  options.check_invariants = false;
  const SimReport a = RunSimulation(options);
  const SimReport b = RunSimulation(options);
  EXPECT_EQ(a.placements, b.placements);
  EXPECT_EQ(a.requeued, b.requeued);
  EXPECT_EQ(a.wait_s, b.wait_s);
  EXPECT_EQ(a.simulated_hours, b.simulated_hours);
}

}  // namespace
}  // namespace mdetr::scheduler::sim
