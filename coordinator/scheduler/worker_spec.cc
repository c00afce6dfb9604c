#include "coordinator/scheduler/worker_spec.h"

namespace mdetr::scheduler {

const char* WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kAlive:
      return "alive";
    case WorkerState::kDraining:
      return "draining";
    case WorkerState::kLost:
      return "lost";
    case WorkerState::kQuarantined:
      return "quarantined";
  }
  return "unknown";
}

std::string FormatLabels(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (!out.empty()) out += ",";
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace mdetr::scheduler
