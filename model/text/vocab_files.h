// Readers for the Hugging Face byte-level BPE files: vocab.json (a flat JSON object mapping each
// token, spelled in the byte-level alphabet, to its id) and merges.txt (one merge "left right"
// per line, by priority, after an optional "#version" line).
//
// Malformed files are reported as INVALID_ARGUMENT naming the file, the line (and column for JSON)
// and what was expected there; a missing file is NOT_FOUND.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace mdetr::text {

using Vocabulary = std::unordered_map<std::string, int32_t>;

struct MergeRule {
  std::string left;
  std::string right;
  int line;  // 1-based line in merges.txt, for error messages
};

// `source` names the content in error messages (usually the file path).
Result<Vocabulary> ParseVocabularyJson(std::string_view content, const std::string& source);
Result<std::vector<MergeRule>> ParseMerges(std::string_view content, const std::string& source);

Result<Vocabulary> ReadVocabularyJson(const std::string& path);
Result<std::vector<MergeRule>> ReadMerges(const std::string& path);

}  // namespace mdetr::text
