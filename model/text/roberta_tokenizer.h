// RoBERTa's tokenizer as MDETR uses it: Hugging Face's RobertaTokenizerFast with
// add_prefix_space=False and trim_offsets=True, on the GPT-2 byte-level BPE files, as in the
// transformers 4.5.1 / tokenizers 0.10.3 that MDETR pins.
//
//   * Special tokens written in the text ("<s>", "<pad>", "</s>", "<unk>", "<mask>") become their
//     ids; "<mask>" also swallows one whitespace character before it (lstrip). Later tokenizers
//     releases swallow the whole run of whitespace; transformers 5 none.
//   * The rest is split by the GPT-2 pre-tokenisation regex, each piece's bytes BPE-encoded. Its
//     letters and numbers are those of Unicode 13.0, the version of tokenizers 0.10.3's regex
//     engine (later releases use Unicode 14).
//   * A single caption becomes <s> ... </s>; a batch is padded with <pad> to the longest caption.
//   * Nothing is truncated. A caller that needs a limit (MDETR's 256 positive-map slots) asks for
//     it and gets OUT_OF_RANGE instead of a silently cut caption.
//
// Thread-safe: one tokenizer may encode from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/text/bpe.h"
#include "model/text/encoding.h"
#include "model/text/utf8.h"
#include "model/text/vocab_files.h"

namespace mdetr::text {

struct EncodeOptions {
  // When set, captions with more tokens than this (counting <s> and </s>) are an error. MDETR's
  // positive maps have 256 token slots, the last also meaning "no object": 255 keeps it free.
  std::optional<int64_t> max_tokens;
};

class RobertaTokenizer {
 public:
  // Reads `dir`/vocab.json and `dir`/merges.txt. `bpe_cache_capacity` pieces are cached (0: none).
  static Result<RobertaTokenizer> FromDirectory(
      const std::string& dir, size_t bpe_cache_capacity = BytePairEncoder::kDefaultCacheCapacity);
  static Result<RobertaTokenizer> FromFiles(
      const std::string& vocab_json_path, const std::string& merges_txt_path,
      size_t bpe_cache_capacity = BytePairEncoder::kDefaultCacheCapacity);
  // From parsed files; the special tokens must be in `vocab`.
  static Result<RobertaTokenizer> Create(const Vocabulary& vocab, const std::vector<MergeRule>& merges,
                                         const std::string& merges_source,
                                         size_t bpe_cache_capacity = BytePairEncoder::kDefaultCacheCapacity);

  // INVALID_ARGUMENT for text that is not UTF-8; OUT_OF_RANGE past options.max_tokens.
  Result<Encoding> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // padding="longest"; fails as a whole, naming the caption, if any caption fails.
  Result<BatchEncoding> EncodeBatch(const std::vector<std::string>& texts,
                                    const EncodeOptions& options = {}) const;

  // Ids of the special tokens, from the vocabulary (roberta-base: 0, 1, 2, 3, 50264).
  int64_t bos_id() const { return bos_id_; }
  int64_t pad_id() const { return pad_id_; }
  int64_t eos_id() const { return eos_id_; }
  int64_t unk_id() const { return unk_id_; }
  int64_t mask_id() const { return mask_id_; }

  int64_t vocab_size() const { return static_cast<int64_t>(id_to_token_.size()); }
  std::optional<int64_t> TokenToId(std::string_view token) const;
  // The vocabulary spelling of `id` (byte-level alphabet, e.g. "Ġcat"); empty if unknown.
  const std::string& IdToToken(int64_t id) const;

 private:
  struct SpecialToken {
    std::string text;
    int64_t id;
    bool strip_left;  // swallow the whitespace before it
  };

  explicit RobertaTokenizer(BytePairEncoder bpe) : bpe_(std::move(bpe)) {}
  // Pre-tokenises and BPE-encodes code points [begin, end) of `text`, appending to `out`.
  void EncodeOrdinaryText(std::string_view text, const DecodedText& decoded, int32_t begin, int32_t end,
                          Encoding* out) const;

  BytePairEncoder bpe_;
  std::vector<std::string> id_to_token_;
  Vocabulary vocab_;
  std::vector<SpecialToken> specials_;
  int64_t bos_id_ = 0;
  int64_t pad_id_ = 0;
  int64_t eos_id_ = 0;
  int64_t unk_id_ = 0;
  int64_t mask_id_ = 0;
};

}  // namespace mdetr::text
