// UTF-8 decoding that keeps, for every code point, where its bytes start. Offsets reported to
// users are code point indices (what Python's len() and slicing count), while byte-level BPE
// works on bytes, so the tokenizer needs both views of the same text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mdetr::text {

struct DecodedText {
  std::vector<char32_t> code_points;
  // byte_begin[i] is the byte offset of code point i; byte_begin[size] is the text's byte length.
  std::vector<int32_t> byte_begin;

  int32_t size() const { return static_cast<int32_t>(code_points.size()); }
};

// Strict UTF-8: rejects overlong forms, surrogates, code points past U+10FFFF and truncated
// sequences, naming the byte offset of the first bad byte.
Result<DecodedText> DecodeUtf8(std::string_view text);

// nullopt when `text` is valid UTF-8; otherwise what is wrong, with *offset set to the bad byte.
std::optional<std::string> FindInvalidUtf8(std::string_view text, size_t* offset);

// Appends the UTF-8 encoding of `cp` (which must be a valid scalar value) to `out`.
void AppendUtf8(char32_t cp, std::string* out);

}  // namespace mdetr::text
