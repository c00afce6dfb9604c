// The scheduler's snapshot as JSON, stored with every state transition so that a restarted
// coordinator continues with the same placements, queue order and attempt numbers.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "coordinator/scheduler/scheduler_state.h"

namespace mdetr::coordinator {

nlohmann::json SnapshotToJson(const scheduler::SchedulerSnapshot& snapshot);
Result<scheduler::SchedulerSnapshot> SnapshotFromJson(const nlohmann::json& json);

}  // namespace mdetr::coordinator
