// How a value is framed on disk: one format byte, the CRC-32C of the payload (little-endian),
// then the payload. The checksum turns a flipped or truncated value into an error at read time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mdetr::store {

inline constexpr uint8_t kValueFormat = 1;
inline constexpr size_t kValueHeaderBytes = 5;

// CRC-32C (Castagnoli), the checksum RocksDB and ext4 use.
uint32_t Crc32c(std::string_view data);

std::string FrameValue(std::string_view payload);

// The payload of a framed value; kDataLoss if it is truncated, of an unknown format or fails its
// checksum. `where` names the record in the message ("jobs/job-1").
Result<std::string_view> UnframeValue(std::string_view stored, std::string_view where);

}  // namespace mdetr::store
