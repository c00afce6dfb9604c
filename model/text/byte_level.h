// GPT-2's byte-level alphabet: every byte is shown as one printable code point, so that BPE
// vocabularies can be stored as text. Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC,
// U+00AE..U+00FF) stand for themselves; the other 68 bytes take U+0100.. in byte order (a space
// becomes 'Ġ' U+0120, a newline 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mdetr::text {

char32_t ByteToUnicode(uint8_t byte);

// The vocabulary spelling of raw bytes: each byte mapped by ByteToUnicode, as UTF-8.
std::string ToByteLevel(std::string_view bytes);

}  // namespace mdetr::text
