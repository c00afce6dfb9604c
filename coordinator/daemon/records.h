// Small helpers shared by the coordinator's request handlers: how stored task states read on the
// wire, attempt ids, error replies.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "common/wire/messages.h"

namespace mdetr::coordinator {

// Stored task/job state ("pending", "held", "queued-by-sweep", "running", ...) as the wire reports it.
inline wire::JobState JobStateFrom(const std::string& s) {
  if (s == "pending" || s == "held" || s == "queued-by-sweep") return wire::JobState::kPending;
  if (s == "running") return wire::JobState::kRunning;
  if (s == "succeeded") return wire::JobState::kSucceeded;
  if (s == "failed" || s == "rejected") return wire::JobState::kFailed;
  if (s == "cancelled") return wire::JobState::kCancelled;
  return wire::JobState::kUnknown;
}

// "<task>-a<attempt>": the attempt id workers and events use.
inline std::string AttemptIdOf(const std::string& task, uint64_t attempt) {
  return task + "-a" + std::to_string(attempt);
}

// Wall-clock milliseconds, as records and events store times.
inline int64_t NowMs() { return SystemClock::Instance().WallMillis(); }

inline wire::Body ErrorBody(const Status& s) { return wire::ErrorFromStatus(s); }

}  // namespace mdetr::coordinator
