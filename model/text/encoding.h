// The result of tokenizing captions: token ids with the character span of every token, and the
// lookups between characters and tokens that MDETR's positive maps and demo rely on.
//
// Offsets count Unicode code points of the input (what Python's len() counts), never bytes. They
// follow Hugging Face's trim_offsets: a token "Ġcat" covers "cat" only, so whitespace belongs to
// no token. A token that holds part of a multi-byte character covers the whole character.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace mdetr::text {

// [begin, end) in code points.
struct CharSpan {
  int64_t begin = 0;
  int64_t end = 0;

  friend bool operator==(const CharSpan& a, const CharSpan& b) {
    return a.begin == b.begin && a.end == b.end;
  }
};

struct Encoding {
  std::vector<int64_t> ids;
  // One per token; (0, 0) for the tokens the tokenizer adds (<s>, </s>).
  std::vector<CharSpan> offsets;
  // 1 for tokens the tokenizer adds (<s>, </s>), 0 for tokens of the text, including special
  // tokens written in the text such as "<mask>".
  std::vector<uint8_t> special_tokens_mask;

  int64_t size() const { return static_cast<int64_t>(ids.size()); }

  // Index of the first text token whose span contains character `c`; nullopt for whitespace,
  // characters past the end, and negative `c`.
  std::optional<int64_t> CharToToken(int64_t c) const;
  // Span of token `t`; nullopt for added tokens (<s>, </s>) and indices out of range.
  std::optional<CharSpan> TokenToChars(int64_t t) const;
};

// Captions padded to the longest one (padding="longest"), row-major [batch_size, length].
struct BatchEncoding {
  int64_t batch_size = 0;
  int64_t length = 0;
  std::vector<int64_t> input_ids;       // pads are <pad> (id 1)
  std::vector<int64_t> attention_mask;  // 1 for real tokens, 0 for pads
  std::vector<Encoding> encodings;      // per caption, unpadded

  // As Encoding's, for caption `batch`; pads map to nothing. nullopt for `batch` out of range.
  std::optional<int64_t> CharToToken(int64_t batch, int64_t c) const;
  std::optional<CharSpan> TokenToChars(int64_t batch, int64_t t) const;
};

}  // namespace mdetr::text
