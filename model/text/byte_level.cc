#include "model/text/byte_level.h"

#include <array>

#include "model/text/utf8.h"

namespace mdetr::text {
namespace {

bool StandsForItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

std::array<char32_t, 256> BuildTable() {
  std::array<char32_t, 256> table{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) table[b] = StandsForItself(b) ? static_cast<char32_t>(b) : next++;
  return table;
}

}  // namespace

char32_t ByteToUnicode(uint8_t byte) {
  static const std::array<char32_t, 256> kTable = BuildTable();
  return kTable[byte];
}

std::string ToByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToUnicode(static_cast<uint8_t>(c)), &out);
  return out;
}

}  // namespace mdetr::text
