// The parity goldens written by tools/parity/tokenizer/make_goldens.py from Hugging Face's
// RobertaTokenizerFast, and the tokenizer under test, loaded once per test process.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/text/encoding.h"
#include "model/text/roberta_tokenizer.h"

namespace mdetr::text::testing {

struct GoldenCaption {
  std::string source;  // flickr30k, gqa, lvis, generated, ...
  std::string text;
  std::vector<int64_t> ids;
  std::vector<CharSpan> offsets;
  std::vector<int64_t> char_to_token;  // characters 0..len+1, -1 for None
  std::vector<int64_t> token_to_chars_none;
};

struct GoldenBatch {
  std::vector<int> captions;
  std::vector<std::vector<int64_t>> input_ids;
  std::vector<std::vector<int64_t>> attention_mask;
};

struct GoldenPositiveMap {
  std::string source;
  int caption;
  std::vector<std::vector<CharSpan>> spans;
  std::vector<std::vector<std::pair<int64_t, float>>> rows;  // sparse
};

// Inclusive code point ranges.
using CodePointRanges = std::vector<std::pair<uint32_t, uint32_t>>;

struct Goldens {
  std::vector<GoldenCaption> captions;
  // The pre-tokenizer's classes, probed on every code point: "letter", "number", "whitespace".
  std::map<std::string, CodePointRanges> unicode_classes;
  std::vector<GoldenBatch> batches;
  std::vector<GoldenPositiveMap> positive_maps;
};

// Aborts the test (ASSERT in the caller) when loading fails: both are nullptr then.
const Goldens* LoadGoldens();
const RobertaTokenizer* LoadRobertaBase();

// The caption printable in a failure message (control characters escaped).
std::string Printable(const std::string& text);

}  // namespace mdetr::text::testing
