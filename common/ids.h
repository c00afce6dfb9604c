// Identifiers of jobs, tasks, attempts, workers and sweep trials.
//
// Random ids are short, sortable by creation time and readable in a table ("job-20261125-1f3a9c").
// Stable ids are derived from content (a sweep trial's parameters) so that submitting the same
// trial twice, or after a restart, names the same thing: grid coverage stays exactly-once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace mdetr {

// 64-bit FNV-1a. Stable across platforms and releases: ids derived from it are stored on disk.
uint64_t StableHash64(std::string_view data);

// "<prefix>-<yyyymmdd>-<6 hex random>", e.g. "job-20261125-1f3a9c".
std::string NewId(std::string_view prefix, const Clock& clock = SystemClock::Instance());

// "<prefix>-<12 hex of StableHash64(content)>", e.g. "trial-5e0c2a7b91d4".
std::string StableId(std::string_view prefix, std::string_view content);

// True for ids made by NewId or StableId: lowercase letters, digits and '-', 3..64 chars,
// starting with a letter. Ids travel in file names and URLs, so nothing else is allowed.
bool IsValidId(std::string_view id);

}  // namespace mdetr
