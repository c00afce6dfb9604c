#include "model/text/bpe.h"

#include <mutex>
#include <queue>
#include <shared_mutex>
#include <utility>

#include "model/text/byte_level.h"

namespace mdetr::text {

// Piece bytes -> tokens. Readers share the lock; an insert takes it exclusively. Once full, the
// cache stops growing: captions' common words come early, and eviction would cost every call.
class BpeCache {
 public:
  explicit BpeCache(size_t capacity) : capacity_(capacity) {}

  bool Lookup(std::string_view piece, std::vector<BpeToken>* out) {
    const std::string key(piece);  // built outside the lock
    std::shared_lock lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    out->insert(out->end(), it->second.begin(), it->second.end());
    return true;
  }

  void Insert(std::string_view piece, const BpeToken* tokens, size_t count) {
    std::string key(piece);
    std::vector<BpeToken> value(tokens, tokens + count);
    std::unique_lock lock(mutex_);
    if (map_.size() >= capacity_) return;
    map_.emplace(std::move(key), std::move(value));
  }

 private:
  const size_t capacity_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<BpeToken>> map_;
};

BytePairEncoder::BytePairEncoder(BytePairEncoder&&) noexcept = default;
BytePairEncoder& BytePairEncoder::operator=(BytePairEncoder&&) noexcept = default;
BytePairEncoder::~BytePairEncoder() = default;

Result<BytePairEncoder> BytePairEncoder::Create(const Vocabulary& vocab, const std::vector<MergeRule>& merges,
                                                const std::string& merges_source, size_t cache_capacity) {
  BytePairEncoder bpe;
  for (int b = 0; b < 256; ++b) {
    const std::string token = ToByteLevel(std::string_view(reinterpret_cast<const char*>(&b), 1));
    auto it = vocab.find(token);
    if (it == vocab.end()) {
      return InvalidArgumentError("vocabulary has no token \"" + token + "\" for byte " + std::to_string(b) +
                                  "; a byte-level vocabulary needs all 256");
    }
    bpe.byte_ids_[b] = it->second;
  }
  bpe.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const MergeRule& rule = merges[rank];
    const std::string where = merges_source + ":" + std::to_string(rule.line) + ": ";
    auto left = vocab.find(rule.left);
    if (left == vocab.end())
      return InvalidArgumentError(where + "token \"" + rule.left + "\" is not in the vocabulary");
    auto right = vocab.find(rule.right);
    if (right == vocab.end()) {
      return InvalidArgumentError(where + "token \"" + rule.right + "\" is not in the vocabulary");
    }
    auto merged = vocab.find(rule.left + rule.right);
    if (merged == vocab.end()) {
      return InvalidArgumentError(where + "merged token \"" + rule.left + rule.right +
                                  "\" is not in the vocabulary");
    }
    // A repeated pair keeps its later rank, as Hugging Face's loader does.
    bpe.merges_[PairKey(left->second, right->second)] = {static_cast<int32_t>(rank), merged->second};
  }
  bpe.cache_ = std::make_unique<BpeCache>(cache_capacity);
  return bpe;
}

void BytePairEncoder::Encode(std::string_view piece, std::vector<BpeToken>* out) const {
  // Long pieces (runs of symbols, pasted URLs) rarely repeat and would hold memory in the cache.
  constexpr size_t kMaxCachedBytes = 256;
  const bool cacheable = piece.size() <= kMaxCachedBytes;
  if (cacheable && cache_->Lookup(piece, out)) return;
  const size_t first = out->size();
  Merge(piece, out);
  if (cacheable) cache_->Insert(piece, out->data() + first, out->size() - first);
}

void BytePairEncoder::Merge(std::string_view piece, std::vector<BpeToken>* out) const {
  struct Symbol {
    int32_t id;
    int32_t num_bytes;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;  // index of the left symbol
    int32_t new_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };

  const int32_t n = static_cast<int32_t>(piece.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = {byte_ids_[static_cast<uint8_t>(piece[i])], 1, i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto push_pair = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.new_id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    // Stale entries: the left symbol was absorbed, lost its neighbour, or the pair changed.
    if (left.num_bytes == 0 || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    auto it = merges_.find(PairKey(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;

    left.id = top.new_id;
    left.num_bytes += right.num_bytes;
    right.num_bytes = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    push_pair(left.prev);
    push_pair(top.pos);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = symbols[i].next)
    out->push_back({symbols[i].id, symbols[i].num_bytes});
}

}  // namespace mdetr::text
