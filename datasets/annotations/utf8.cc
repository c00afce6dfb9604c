#include "datasets/annotations/utf8.h"

namespace mdetr::annotations {
namespace {
bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

size_t CodePointCount(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += IsContinuation(c) ? 0 : 1;
  return n;
}

size_t CodePointToByte(std::string_view utf8, size_t index) {
  size_t seen = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (IsContinuation(utf8[i])) continue;
    if (seen == index) return i;
    ++seen;
  }
  return utf8.size();
}

std::vector<size_t> CodePointByteOffsets(std::string_view utf8) {
  std::vector<size_t> offsets;
  offsets.reserve(utf8.size() + 1);
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (!IsContinuation(utf8[i])) offsets.push_back(i);
  }
  offsets.push_back(utf8.size());
  return offsets;
}

}  // namespace mdetr::annotations
