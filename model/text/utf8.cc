#include "model/text/utf8.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace mdetr::text {
namespace {

// Decodes the code point starting at byte i. Returns nullptr and sets *cp, *length on success;
// otherwise what is wrong, with *length the offset (from i) of the offending byte.
const char* DecodeOne(std::string_view text, size_t i, char32_t* cp, int* length) {
  const auto lead = static_cast<unsigned char>(text[i]);
  *length = 0;
  int n;
  if (lead < 0x80) {
    *cp = lead;
    *length = 1;
    return nullptr;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    *cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    *cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    *cp = lead & 0x07;
  } else {
    return "cannot start a UTF-8 sequence";
  }
  if (i + n > text.size()) return "starts a sequence cut off by the end of the text";
  for (int k = 1; k < n; ++k) {
    const auto cont = static_cast<unsigned char>(text[i + k]);
    if ((cont & 0xC0) != 0x80) {
      *length = k;
      return "is not a continuation byte";
    }
    *cp = (*cp << 6) | (cont & 0x3F);
  }
  if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000)) return "starts an overlong encoding";
  if (*cp >= 0xD800 && *cp <= 0xDFFF) return "starts an encoded surrogate";
  if (*cp > 0x10FFFF) return "starts a code point past U+10FFFF";
  *length = n;
  return nullptr;
}

std::string DescribeBadByte(std::string_view text, size_t at, const char* what) {
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(text[at]));
  return "byte " + std::to_string(at) + " (" + hex + ") " + what;
}

}  // namespace

Result<DecodedText> DecodeUtf8(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    return InvalidArgumentError("text of " + std::to_string(text.size()) + " bytes is longer than 2 GiB");
  }
  DecodedText out;
  out.code_points.reserve(text.size());
  out.byte_begin.reserve(text.size() + 1);
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    int length;
    if (const char* error = DecodeOne(text, i, &cp, &length)) {
      return InvalidArgumentError("text is not valid UTF-8: " + DescribeBadByte(text, i + length, error));
    }
    out.code_points.push_back(cp);
    out.byte_begin.push_back(static_cast<int32_t>(i));
    i += length;
  }
  out.byte_begin.push_back(static_cast<int32_t>(text.size()));
  return out;
}

std::optional<std::string> FindInvalidUtf8(std::string_view text, size_t* offset) {
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    int length;
    if (const char* error = DecodeOne(text, i, &cp, &length)) {
      *offset = i + length;
      return DescribeBadByte(text, i + length, error);
    }
    i += length;
  }
  return std::nullopt;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace mdetr::text
