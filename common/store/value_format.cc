#include "common/store/value_format.h"

#include <array>

namespace mdetr::store {
namespace {

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
    table[i] = crc;
  }
  return table;
}

}  // namespace

uint32_t Crc32c(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = MakeCrcTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string FrameValue(std::string_view payload) {
  const uint32_t crc = Crc32c(payload);
  std::string stored;
  stored.reserve(kValueHeaderBytes + payload.size());
  stored.push_back(static_cast<char>(kValueFormat));
  for (int shift = 0; shift < 32; shift += 8) stored.push_back(static_cast<char>((crc >> shift) & 0xff));
  stored.append(payload);
  return stored;
}

Result<std::string_view> UnframeValue(std::string_view stored, std::string_view where) {
  const std::string place(where);
  if (stored.size() < kValueHeaderBytes) {
    return DataLossError(place + ": stored value of " + std::to_string(stored.size()) +
                         " bytes is truncated (expected at least a 5-byte header)");
  }
  if (static_cast<uint8_t>(stored[0]) != kValueFormat) {
    return DataLossError(place + ": stored value has format " +
                         std::to_string(static_cast<uint8_t>(stored[0])) + ", expected " +
                         std::to_string(kValueFormat));
  }
  uint32_t expected = 0;
  for (int i = 0; i < 4; ++i)
    expected |= static_cast<uint32_t>(static_cast<unsigned char>(stored[1 + i])) << (8 * i);
  std::string_view payload = stored.substr(kValueHeaderBytes);
  if (Crc32c(payload) != expected)
    return DataLossError(place + ": stored value fails its checksum (corrupted)");
  return payload;
}

}  // namespace mdetr::store
