// What the scheduler asks the coordinator to do. The coordinator must deliver the actions of one
// event to each worker in the order given: a KillAttempt always comes before a PlaceTask that
// reuses the same GPUs, because the scheduler frees resources as soon as it orders the kill.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "coordinator/scheduler/task_spec.h"
#include "coordinator/scheduler/worker_spec.h"

namespace mdetr::scheduler {

// Where one rank runs: its worker and the GPU indices (or CPU slots) it owns there.
struct RankPlacement {
  WorkerId worker;
  std::vector<int> gpus;  // empty for a CPU-only rank
  int cpu_slots = 0;
};

// Start a new attempt of the task: rank i runs on ranks[i]. Every rank of the gang is here.
struct PlaceTask {
  TaskId task;
  AttemptId attempt = 0;
  std::vector<RankPlacement> ranks;
};

// Kill every rank of the attempt on these workers (the ones still reachable).
struct KillAttempt {
  TaskId task;
  AttemptId attempt = 0;
  std::vector<WorkerId> workers;
  std::string reason;
};

enum class RejectCode {
  kInvalidSpec,    // malformed request: fix it
  kUnknownLabels,  // no worker carries a required label
  kNeverFits,      // more than any placement on the current cluster shape can give
  kDuplicateId,    // the id is taken by a different task; the first submission stands
};

const char* RejectCodeName(RejectCode code);

// The submission is refused for good; reason says what to change.
struct RejectTask {
  TaskId task;
  RejectCode code = RejectCode::kInvalidSpec;
  std::string reason;
};

// The attempt failed and the task is back in the queue (keeping its place in its priority).
struct RequeueTask {
  TaskId task;
  AttemptId failed_attempt = 0;
  FailureKind cause = FailureKind::kInfrastructure;
  int retries_left = 0;  // of the budget for `cause`
};

// The attempt failed and the retry budget for its kind of failure is spent: the task is over.
struct FailTask {
  TaskId task;
  AttemptId attempt = 0;
  FailureKind cause = FailureKind::kInfrastructure;
  std::string reason;
};

// The worker failed too many attempts in a row and takes no new ranks until released.
struct QuarantineWorker {
  WorkerId worker;
  std::string reason;
};

using Action = std::variant<PlaceTask, KillAttempt, RejectTask, RequeueTask, FailTask, QuarantineWorker>;

// One line for logs and test failure messages, e.g. "PlaceTask(t1#3: w1[0,1] w2[0,1])".
std::string ToString(const Action& action);

}  // namespace mdetr::scheduler
