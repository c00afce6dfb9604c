#include "model/text/unicode_classes.h"

#include <algorithm>

#include "model/text/unicode_tables.h"

namespace mdetr::text {
namespace {

bool InRanges(char32_t cp, const internal::CodePointRange* ranges, size_t size) {
  const internal::CodePointRange* end = ranges + size;
  // First range whose last code point is >= cp; cp is inside it iff it starts at or before cp.
  const internal::CodePointRange* it = std::lower_bound(
      ranges, end, cp, [](const internal::CodePointRange& r, char32_t c) { return r.last < c; });
  return it != end && it->first <= cp;
}

}  // namespace

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return InRanges(cp, internal::kLetterRanges, internal::kLetterRangesSize);
}

bool IsNumber(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return InRanges(cp, internal::kNumberRanges, internal::kNumberRangesSize);
}

bool IsWhitespace(char32_t cp) {
  // White_Space from Unicode's PropList.txt (unchanged since Unicode 6.3): 25 code points.
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace mdetr::text
