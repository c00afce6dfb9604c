// The scheduler's records of workers and tasks. Plain structs with indices instead of pointers, so
// that the state can be written to a store and read back as is.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "coordinator/scheduler/task_spec.h"
#include "coordinator/scheduler/worker_spec.h"

namespace mdetr::scheduler {

// One rank of a running attempt: its worker (index into the worker records) and what it holds.
struct RankSlot {
  int worker = 0;
  uint64_t gpu_mask = 0;  // bit i set: GPU i
  int cpu_slots = 0;
};

struct TaskRecord {
  TaskSpec spec;
  TaskState state = TaskState::kPending;
  uint64_t queue_seq = 0;       // order of first acceptance: FIFO within a priority, kept on requeue
  AttemptId attempt = 0;        // the current attempt if running, else the last one (0: never placed)
  std::vector<RankSlot> ranks;  // placement of the running attempt, rank order
  // While pending and blocked: the units held back for it, as (worker index, units). Kept from
  // pass to pass while still valid, so that capacity it waits for is not handed to others when a
  // different worker happens to free up first.
  std::vector<std::pair<int, int>> reservation;
  // Failed attempts so far, by FailureKind.
  int preempted_failures = 0;
  int infrastructure_failures = 0;
  int user_failures = 0;
};

struct WorkerRecord {
  WorkerSpec spec;
  WorkerState state = WorkerState::kAlive;
  uint64_t free_gpu_mask = 0;
  int free_gpus = 0;
  int free_cpus = 0;
  int consecutive_failures = 0;  // infrastructure failures blamed on it since its last success
  std::vector<int> tasks;        // tasks (indices) with a rank here, each listed once
};

// Everything a scheduler needs to carry on after a restart: its records and counters. Queues,
// indexes and per-pass state are derived from these.
struct SchedulerSnapshot {
  std::vector<WorkerRecord> workers;
  std::vector<TaskRecord> tasks;  // in order of acceptance
  uint64_t next_queue_seq = 1;
  AttemptId next_attempt = 1;
};

}  // namespace mdetr::scheduler
