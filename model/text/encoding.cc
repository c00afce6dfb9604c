#include "model/text/encoding.h"

namespace mdetr::text {

std::optional<int64_t> Encoding::CharToToken(int64_t c) const {
  for (int64_t t = 0; t < size(); ++t) {
    if (special_tokens_mask[t]) continue;
    if (offsets[t].begin <= c && c < offsets[t].end) return t;
  }
  return std::nullopt;
}

std::optional<CharSpan> Encoding::TokenToChars(int64_t t) const {
  if (t < 0 || t >= size() || special_tokens_mask[t]) return std::nullopt;
  return offsets[t];
}

std::optional<int64_t> BatchEncoding::CharToToken(int64_t batch, int64_t c) const {
  if (batch < 0 || batch >= static_cast<int64_t>(encodings.size())) return std::nullopt;
  return encodings[batch].CharToToken(c);
}

std::optional<CharSpan> BatchEncoding::TokenToChars(int64_t batch, int64_t t) const {
  if (batch < 0 || batch >= static_cast<int64_t>(encodings.size())) return std::nullopt;
  return encodings[batch].TokenToChars(t);
}

}  // namespace mdetr::text
