// What a submitted task asks for: a gang of ranks that all start together, each needing the same
// number of GPUs (or CPU slots), optionally on workers with given labels.
#pragma once

#include <cstdint>
#include <string>

#include "coordinator/scheduler/worker_spec.h"

namespace mdetr::scheduler {

using TaskId = std::string;
// Unique over the scheduler's lifetime and increasing: a report naming an older attempt is stale.
using AttemptId = uint64_t;

// Why an attempt ended without success. Each kind has its own retry budget, so that a flaky
// cluster does not use up the retries meant for a user's bug, and preemptions do not use either.
enum class FailureKind {
  kPreempted,       // the capacity was taken back (spot reclaim, higher-priority eviction)
  kInfrastructure,  // node lost, GPU fault, network: not the task's fault
  kUserError,       // the task itself failed (exception, bad config, CUDA OOM)
};

const char* FailureKindName(FailureKind kind);

// How many times an attempt may end with each kind of failure and still be retried.
struct RetryBudget {
  int preempted = 100;
  int infrastructure = 5;
  int user_error = 1;

  int For(FailureKind kind) const;
  friend bool operator==(const RetryBudget& a, const RetryBudget& b) {
    return a.preempted == b.preempted && a.infrastructure == b.infrastructure && a.user_error == b.user_error;
  }
};

struct TaskSpec {
  TaskId id;
  int priority = 0;       // larger runs first; FIFO among equal priorities
  int ranks = 1;          // gang size: all ranks are placed together or none is
  int gpus_per_rank = 1;  // 0 for a CPU-only task, which then needs cpus_per_rank slots
  int cpus_per_rank = 0;
  Labels required_labels;  // every rank's worker must carry all of them
  RetryBudget retries;

  bool uses_gpus() const { return gpus_per_rank > 0; }
  int units_per_rank() const { return uses_gpus() ? gpus_per_rank : cpus_per_rank; }
  int64_t total_units() const { return int64_t{ranks} * units_per_rank(); }

  friend bool operator==(const TaskSpec& a, const TaskSpec& b) {
    return a.id == b.id && a.priority == b.priority && a.ranks == b.ranks &&
           a.gpus_per_rank == b.gpus_per_rank && a.cpus_per_rank == b.cpus_per_rank &&
           a.required_labels == b.required_labels && a.retries == b.retries;
  }
};

enum class TaskState { kPending, kRunning, kSucceeded, kFailed, kCancelled, kRejected };

const char* TaskStateName(TaskState state);
bool IsTerminal(TaskState state);

}  // namespace mdetr::scheduler
