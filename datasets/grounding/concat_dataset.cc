#include "datasets/grounding/concat_dataset.h"

#include <algorithm>
#include <string>

namespace mdetr::grounding {

ConcatDataset::ConcatDataset(std::vector<std::shared_ptr<const GroundingDataset>> parts)
    : parts_(std::move(parts)) {
  int64_t end = 0;
  for (const auto& p : parts_) {
    end += p->size();
    ends_.push_back(end);
  }
}

size_t ConcatDataset::PartOf(int64_t index) const {
  return static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), index) - ends_.begin());
}

Result<Sample> ConcatDataset::Get(int64_t index, std::mt19937_64& rng) const {
  if (index < 0 || index >= size()) {
    return OutOfRangeError("sample " + std::to_string(index) + " of " + std::to_string(size()) + " (" +
                           std::to_string(parts_.size()) + " datasets)");
  }
  const size_t p = PartOf(index);
  const int64_t start = p == 0 ? 0 : ends_[p - 1];
  auto s = parts_[p]->Get(index - start, rng);
  // With several parts, say which annotation file the failing sample came from.
  if (!s.ok()) return parts_.size() > 1 ? s.status().WithContext(parts_[p]->options().ann_file) : s.status();
  s->index = index;
  return s;
}

}  // namespace mdetr::grounding
