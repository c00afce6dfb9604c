// Which failures are the machine's fault, read from what the rank printed: a task that exits with
// a generic error code after "NCCL error" or "No space left on device" failed because of the node,
// not because of the user's config or code, and is retried elsewhere without spending the user's
// retry budget (the exit code alone cannot tell).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdetr::worker {

struct FailureMatch {
  std::string pattern;  // what was found, for the failure message
};

// Searches `log_tail` (the end of a rank's output) for known infrastructure failures.
std::optional<FailureMatch> FindInfrastructureFailure(std::string_view log_tail);

// The last `max_bytes` of the file at `path` (empty if it cannot be read).
std::string ReadTail(const std::string& path, size_t max_bytes = 64 * 1024);

}  // namespace mdetr::worker
