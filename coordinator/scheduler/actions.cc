#include "coordinator/scheduler/actions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mdetr::scheduler {

const char* RejectCodeName(RejectCode code) {
  switch (code) {
    case RejectCode::kInvalidSpec:
      return "invalid spec";
    case RejectCode::kUnknownLabels:
      return "unknown labels";
    case RejectCode::kNeverFits:
      return "never fits";
    case RejectCode::kDuplicateId:
      return "duplicate id";
  }
  return "unknown";
}

namespace {

struct Printer {
  std::string operator()(const PlaceTask& a) const {
    std::string out = fmt::format("PlaceTask({}#{}:", a.task, a.attempt);
    for (const RankPlacement& r : a.ranks) {
      if (r.gpus.empty()) {
        out += fmt::format(" {}[cpu x{}]", r.worker, r.cpu_slots);
      } else {
        out += fmt::format(" {}[{}]", r.worker, fmt::join(r.gpus, ","));
      }
    }
    return out + ")";
  }
  std::string operator()(const KillAttempt& a) const {
    return fmt::format("KillAttempt({}#{} on {}: {})", a.task, a.attempt, fmt::join(a.workers, ","),
                       a.reason);
  }
  std::string operator()(const RejectTask& a) const {
    return fmt::format("RejectTask({}, {}: {})", a.task, RejectCodeName(a.code), a.reason);
  }
  std::string operator()(const RequeueTask& a) const {
    return fmt::format("RequeueTask({}#{}, {}, {} retries left)", a.task, a.failed_attempt,
                       FailureKindName(a.cause), a.retries_left);
  }
  std::string operator()(const FailTask& a) const {
    return fmt::format("FailTask({}#{}, {}: {})", a.task, a.attempt, FailureKindName(a.cause), a.reason);
  }
  std::string operator()(const QuarantineWorker& a) const {
    return fmt::format("QuarantineWorker({}: {})", a.worker, a.reason);
  }
};

}  // namespace

std::string ToString(const Action& action) { return std::visit(Printer{}, action); }

}  // namespace mdetr::scheduler
