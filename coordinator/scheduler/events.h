// Everything the scheduler reacts to. The coordinator turns requests and worker messages into
// these; the scheduler answers each with actions (actions.h).
#pragma once

#include <optional>
#include <variant>

#include "coordinator/scheduler/task_spec.h"
#include "coordinator/scheduler/worker_spec.h"

namespace mdetr::scheduler {

// A new task. Submitting an id that is already known (in any state) places nothing new.
struct SubmitTask {
  TaskSpec spec;
};

// Stops a task: a pending one leaves the queue, a running one has its attempt killed.
struct CancelTask {
  TaskId task;
};

// A worker daemon registered (first time, after a restart, or again after being lost).
struct WorkerJoined {
  WorkerSpec spec;
};

// The worker stopped answering heartbeats: every gang with a rank on it is torn down.
struct WorkerLost {
  WorkerId worker;
};

// The worker should take no new ranks; running ones finish normally.
struct WorkerDrain {
  WorkerId worker;
};

// An operator cleared a quarantined worker (after a health probe): it takes ranks again.
struct WorkerRelease {
  WorkerId worker;
};

enum class Outcome { kSucceeded, kPreempted, kInfrastructure, kUserError };

// An attempt ended. Reports for an attempt other than the task's current one are ignored, so a
// late or duplicated report can never end, retry or free the resources of a newer attempt.
struct TaskFinished {
  TaskId task;
  AttemptId attempt = 0;
  Outcome outcome = Outcome::kSucceeded;
  // The worker where the failure happened, when known. Infrastructure failures count towards its
  // quarantine; empty means unknown (then a single-worker attempt is blamed on that worker).
  WorkerId failed_worker;
};

using Event =
    std::variant<SubmitTask, CancelTask, WorkerJoined, WorkerLost, WorkerDrain, WorkerRelease, TaskFinished>;

}  // namespace mdetr::scheduler
