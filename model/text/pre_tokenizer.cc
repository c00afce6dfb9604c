#include "model/text/pre_tokenizer.h"

#include "model/text/unicode_classes.h"

namespace mdetr::text {
namespace {

// [^\s\p{L}\p{N}]
bool IsOther(char32_t cp) { return !IsWhitespace(cp) && !IsLetter(cp) && !IsNumber(cp); }

// Length of the contraction ('s 't 're 've 'm 'll 'd, lower case only) at i, or 0.
int32_t ContractionAt(const char32_t* cp, int32_t i, int32_t end) {
  if (cp[i] != U'\'' || i + 1 >= end) return 0;
  const char32_t a = cp[i + 1];
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if (i + 2 >= end) return 0;
  const char32_t b = cp[i + 2];
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  return 0;
}

// End of ` ?<class>+` starting at i, or i when it does not match.
template <typename Pred>
int32_t OptionalSpaceThenRun(const char32_t* cp, int32_t i, int32_t end, Pred in_class) {
  int32_t j = i;
  if (cp[j] == U' ' && j + 1 < end && in_class(cp[j + 1])) ++j;
  if (!in_class(cp[j])) return i;
  while (j < end && in_class(cp[j])) ++j;
  return j;
}

// End of the piece that starts with whitespace at i: `\s+(?!\S)` leaves the last whitespace of a
// run followed by a non-space to start the next piece; a single such whitespace falls to `\s+`.
int32_t WhitespaceRunEnd(const char32_t* cp, int32_t i, int32_t end) {
  int32_t k = i;
  while (k < end && IsWhitespace(cp[k])) ++k;
  if (k == end) return k;
  return k - 1 > i ? k - 1 : i + 1;
}

}  // namespace

void PreTokenize(const char32_t* cp, int32_t begin, int32_t end, std::vector<PieceSpan>* out) {
  int32_t i = begin;
  while (i < end) {
    int32_t next = i + ContractionAt(cp, i, end);
    if (next == i) next = OptionalSpaceThenRun(cp, i, end, IsLetter);
    if (next == i) next = OptionalSpaceThenRun(cp, i, end, IsNumber);
    if (next == i) next = OptionalSpaceThenRun(cp, i, end, IsOther);
    if (next == i) next = WhitespaceRunEnd(cp, i, end);
    out->push_back({i, next});
    i = next;
  }
}

}  // namespace mdetr::text
