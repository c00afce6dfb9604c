// Positive maps: which caption tokens each box is about, from the boxes' character spans
// (MDETR's create_positive_map, reference spec §3.3).
//
// For every span [begin, end) of box i, the first token is the one holding character `begin`
// (else begin+1, else begin+2) and the last the one holding end-1 (else end-2, else end-3); a span
// whose first or last token is still not found is skipped. Row i is 1 on every token from first
// to last, then divided by (row sum + 1e-6): a distribution over the box's tokens, or all zeros.
// Columns past the width are dropped, as slicing a [N, 256] tensor drops them in the reference.
#pragma once

#include <cstdint>
#include <vector>

#include "model/text/encoding.h"

namespace mdetr::text {

// MDETR's token slots: 255 caption tokens plus "no object" in the last column.
inline constexpr int64_t kPositiveMapWidth = 256;

struct PositiveMapOptions {
  int64_t width = kPositiveMapWidth;
  // Try begin+1, begin+2, end-2, end-3 when begin or end-1 falls on no token. The contrastive
  // alignment loss of the reference loses these fallbacks for batches of more than one caption.
  bool fallbacks = true;
};

// One span list per box. Returns [spans_per_box.size(), options.width] floats, row-major.
std::vector<float> CreatePositiveMap(const Encoding& encoding,
                                     const std::vector<std::vector<CharSpan>>& spans_per_box,
                                     const PositiveMapOptions& options = {});

}  // namespace mdetr::text
