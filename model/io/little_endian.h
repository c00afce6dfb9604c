// Little-endian integer loads and stores for container headers (zip, pickle, safetensors), all
// of which are little-endian whatever the host.
#pragma once

#include <cstdint>
#include <string>

namespace mdetr::io {

inline uint64_t LoadLE(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint16_t LoadLE16(const uint8_t* p) { return static_cast<uint16_t>(LoadLE(p, 2)); }
inline uint32_t LoadLE32(const uint8_t* p) { return static_cast<uint32_t>(LoadLE(p, 4)); }
inline uint64_t LoadLE64(const uint8_t* p) { return LoadLE(p, 8); }

inline void AppendLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace mdetr::io
