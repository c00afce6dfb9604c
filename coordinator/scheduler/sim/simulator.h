// A simulated cluster: a seeded event loop with simulated time that feeds a Scheduler the events
// of a synthetic workload (workload.h) and plays the workers' side of its actions: placed
// attempts run for their duration, then succeed or fail; workers get lost, drained and restarted.
// Optionally every step is checked by an InvariantChecker, and the blocked head of the queue is
// checked to hold capacity back and to start no later than the attempts that ran on that
// capacity when it blocked have ended.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/scheduler/scheduler.h"
#include "coordinator/scheduler/sim/workload.h"

namespace mdetr::scheduler::sim {

struct SimOptions {
  WorkloadOptions workload;
  SchedulerConfig config;
  bool check_invariants = true;
  int check_books_every = 500;  // steps between full comparisons of the books
};

struct SimReport {
  int64_t steps = 0;
  int64_t placements = 0;
  int64_t decisions = 0;    // actions of any kind
  double core_seconds = 0;  // wall time spent inside Scheduler::Handle
  // Wall time of the Handle(SubmitTask) call that placed a task on arrival, in microseconds.
  std::vector<double> submit_to_place_us;
  // Wall time of the Handle call that placed a task which had waited (the event that freed room).
  std::vector<double> freed_to_place_us;
  std::vector<double> handle_us;  // wall time of every Handle call, in microseconds
  std::vector<double> wait_s;     // simulated time from first submission to each first placement
  int64_t succeeded = 0, failed = 0, cancelled = 0, rejected = 0, requeued = 0, quarantined = 0;
  int64_t head_waits_checked = 0;  // blocked queue heads whose start was checked against the bound
  int64_t unfinished = 0;          // tasks not in a final state when the simulation ran out of events
  size_t max_pending = 0;
  double simulated_hours = 0;
  std::vector<std::string> violations;
};

SimReport RunSimulation(const SimOptions& options);

// p in [0, 100] of `values` (copied and partially sorted), 0 when empty.
double Percentile(std::vector<double> values, double p);

}  // namespace mdetr::scheduler::sim
