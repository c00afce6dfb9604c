// Byte-level BPE over one pre-tokenised piece: the piece's bytes start as one symbol each, then
// adjacent pairs are merged by rank (lowest first; among equal ranks, leftmost first) until no
// pair has a merge rule. This is the order of Hugging Face's BPE model (a priority queue keyed by
// rank then position), and equals GPT-2's original "merge every occurrence of the best pair" loop.
//
// Results are cached per piece (captions repeat words a lot). Thread-safe: Encode may be called
// from many threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/text/vocab_files.h"

namespace mdetr::text {

struct BpeToken {
  int32_t id;
  int32_t num_bytes;  // bytes of the piece this token covers, in order
};

class BpeCache;

class BytePairEncoder {
 public:
  // Pieces cached at most; later pieces are encoded without caching (as Hugging Face does).
  static constexpr size_t kDefaultCacheCapacity = 10000;

  // Checks that every byte has a token, and that both sides of every merge and their
  // concatenation are tokens; errors name merges.txt and the line.
  static Result<BytePairEncoder> Create(const Vocabulary& vocab, const std::vector<MergeRule>& merges,
                                        const std::string& merges_source,
                                        size_t cache_capacity = kDefaultCacheCapacity);

  BytePairEncoder(BytePairEncoder&&) noexcept;
  BytePairEncoder& operator=(BytePairEncoder&&) noexcept;
  ~BytePairEncoder();

  // Appends the tokens of `piece` (raw UTF-8 bytes, non-empty) to `out`.
  void Encode(std::string_view piece, std::vector<BpeToken>* out) const;

  size_t num_merges() const { return merges_.size(); }

 private:
  struct MergeTarget {
    int32_t rank;
    int32_t new_id;
  };

  BytePairEncoder() = default;
  void Merge(std::string_view piece, std::vector<BpeToken>* out) const;
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  std::array<int32_t, 256> byte_ids_{};
  std::unordered_map<uint64_t, MergeTarget> merges_;
  std::unique_ptr<BpeCache> cache_;
};

}  // namespace mdetr::text
