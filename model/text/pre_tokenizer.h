// GPT-2 pre-tokenisation: splits text into the pieces that BPE then encodes one by one, exactly as
// the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// does when its matches are taken left to right (alternatives tried in order, greedy
// quantifiers with backtracking). Written as a hand-made scanner over code points: no regex
// engine, linear time.
#pragma once

#include <cstdint>
#include <vector>

namespace mdetr::text {

struct PieceSpan {
  int32_t begin;  // code point index, inclusive
  int32_t end;    // exclusive
};

// Appends the pieces of code_points[begin, end) to `out`. The pieces cover the range exactly, in
// order, with no gaps.
void PreTokenize(const char32_t* code_points, int32_t begin, int32_t end, std::vector<PieceSpan>* out);

}  // namespace mdetr::text
