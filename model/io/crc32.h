// CRC-32 (IEEE 802.3, the zip checksum), incremental.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mdetr::io {

// Extends `crc` (0 to start) over `size` bytes.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);

}  // namespace mdetr::io
