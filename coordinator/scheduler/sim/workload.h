// Seeded synthetic workloads for the simulated cluster: a cluster shape, a stream of gang tasks
// with mixed sizes, priorities and durations, and the faults that hit it.
#pragma once

#include <cstdint>
#include <vector>

#include "coordinator/scheduler/task_spec.h"

namespace mdetr::scheduler::sim {

using SimTime = int64_t;  // simulated microseconds

struct WorkloadOptions {
  uint64_t seed = 1;
  int nodes = 500;
  int gpus_per_node = 8;
  int tasks = 50'000;
  // Offered load as a fraction of the cluster's GPU-seconds: above 1 the queue keeps growing.
  double load = 0.95;
  double mean_duration_s = 900;
  int priorities = 3;                   // priorities 0..priorities-1
  double failure_probability = 0.03;    // an attempt fails (preempted / infrastructure / user error)
  double cancel_probability = 0.01;     // the task is cancelled at some point
  double duplicate_probability = 0.02;  // a submission or a finish report is delivered twice
  int worker_losses = 20;               // workers lost (and back after a while) during the run
  int drains = 5;                       // workers drained, then restarted
  int flaky_nodes = 2;                  // nodes whose attempts fail with infrastructure errors
  // Heterogeneous clusters: a share of the GPU workers carries the label gpu=h100 (the others
  // gpu=a100) and a share of the tasks requires it; CPU-only workers run CPU-only tasks.
  double h100_node_fraction = 0;
  double h100_task_fraction = 0;
  int cpu_nodes = 0;
  int cpu_slots_per_node = 32;
  double cpu_task_fraction = 0;
};

struct TaskArrival {
  SimTime at = 0;
  TaskSpec spec;
  SimTime duration = 0;
};

// Tasks in arrival order. Gang sizes are 1, 2, 4, 8, 16 and 32 GPUs, shaped either as one rank
// per GPU or as ranks of up to a whole node; CPU-only tasks have 1-4 ranks of 1-8 slots.
std::vector<TaskArrival> MakeTasks(const WorkloadOptions& options);

}  // namespace mdetr::scheduler::sim
