// Keys that sort the way the store is scanned: parts joined by '/', numbers as fixed-width
// big-endian bytes so that byte order is numeric order (event sequence numbers, metric steps).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mdetr::store {

inline constexpr char kKeySeparator = '/';

// "job-1/task-2": ids never contain '/', so a prefix "job-1/" matches exactly that job's keys.
std::string JoinKey(std::initializer_list<std::string_view> parts);

// `prefix` + 8 big-endian bytes of `value`.
std::string KeyWithNumber(std::string_view prefix, uint64_t value);

// The number KeyWithNumber put at the end of `key`; kInvalidArgument if the key is too short.
Result<uint64_t> NumberAtEnd(std::string_view key);

}  // namespace mdetr::store
