// Character offsets in MDETR annotations count Unicode code points (Python str indices); our
// strings are UTF-8 bytes. These helpers convert between the two.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace mdetr::annotations {

// Number of code points in a UTF-8 string (bytes that are not continuation bytes).
size_t CodePointCount(std::string_view utf8);

// Byte offset of code point `index` (index == CodePointCount gives utf8.size()); clamps past the end.
size_t CodePointToByte(std::string_view utf8, size_t index);

// Byte offset of every code point plus the end: result[i] is where code point i starts.
std::vector<size_t> CodePointByteOffsets(std::string_view utf8);

}  // namespace mdetr::annotations
