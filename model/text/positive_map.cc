#include "model/text/positive_map.h"

#include <algorithm>
#include <optional>

namespace mdetr::text {
namespace {

// The reference tries up to three characters; the first that falls on a token wins.
std::optional<int64_t> FirstTokenOf(const Encoding& encoding, int64_t c0, int64_t c1, int64_t c2,
                                    bool fallbacks) {
  if (auto t = encoding.CharToToken(c0)) return t;
  if (!fallbacks) return std::nullopt;
  if (auto t = encoding.CharToToken(c1)) return t;
  return encoding.CharToToken(c2);
}

}  // namespace

std::vector<float> CreatePositiveMap(const Encoding& encoding,
                                     const std::vector<std::vector<CharSpan>>& spans_per_box,
                                     const PositiveMapOptions& options) {
  const int64_t width = std::max<int64_t>(options.width, 0);
  std::vector<float> map(spans_per_box.size() * width, 0.0f);
  for (size_t box = 0; box < spans_per_box.size(); ++box) {
    float* row = map.data() + box * width;
    for (const CharSpan& span : spans_per_box[box]) {
      const auto first =
          FirstTokenOf(encoding, span.begin, span.begin + 1, span.begin + 2, options.fallbacks);
      const auto last = FirstTokenOf(encoding, span.end - 1, span.end - 2, span.end - 3, options.fallbacks);
      if (!first || !last) continue;
      for (int64_t t = *first; t <= *last && t < width; ++t) row[t] = 1.0f;
    }
    float sum = 0.0f;
    for (int64_t t = 0; t < width; ++t) sum += row[t];
    // Same float32 arithmetic as the reference's map / (map.sum(-1) + 1e-6).
    const float denominator = sum + 1e-6f;
    for (int64_t t = 0; t < width; ++t) row[t] /= denominator;
  }
  return map;
}

}  // namespace mdetr::text
