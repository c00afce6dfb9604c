#include "coordinator/scheduler/task_spec.h"

namespace mdetr::scheduler {

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kPreempted:
      return "preempted";
    case FailureKind::kInfrastructure:
      return "infrastructure";
    case FailureKind::kUserError:
      return "user error";
  }
  return "unknown";
}

int RetryBudget::For(FailureKind kind) const {
  switch (kind) {
    case FailureKind::kPreempted:
      return preempted;
    case FailureKind::kInfrastructure:
      return infrastructure;
    case FailureKind::kUserError:
      return user_error;
  }
  return 0;
}

const char* TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kCancelled:
      return "cancelled";
    case TaskState::kRejected:
      return "rejected";
  }
  return "unknown";
}

bool IsTerminal(TaskState state) { return state != TaskState::kPending && state != TaskState::kRunning; }

}  // namespace mdetr::scheduler
