// Strings of a parsed annotation file packed into one buffer: one allocation instead of millions,
// and records stay small (8 bytes per string).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mdetr::annotations {

struct StringRef {
  uint32_t offset = 0;
  uint32_t size = 0;
};

class StringArena {
 public:
  // Returns false (and adds nothing) when the arena would pass 4 GiB, the limit of StringRef.
  bool Add(std::string_view s, StringRef* ref) {
    if (data_.size() + s.size() > UINT32_MAX) return false;
    ref->offset = static_cast<uint32_t>(data_.size());
    ref->size = static_cast<uint32_t>(s.size());
    data_.append(s);
    return true;
  }
  std::string_view Get(StringRef ref) const { return std::string_view(data_).substr(ref.offset, ref.size); }
  size_t used() const { return data_.size(); }
  void Reserve(size_t n) { data_.reserve(n); }

 private:
  std::string data_;
};

}  // namespace mdetr::annotations
