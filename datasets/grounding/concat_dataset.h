// Several grounding datasets read as one, in the order given: the reference's ConcatDataset,
// which its pre-training uses for Flickr30k + the mixed COCO/VG set and its GQA fine-tuning for
// the train + val questions. Index i of the concatenation is index i - start(p) of the part p that
// holds it, so one sampler (and its resume position) covers all parts.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "common/status.h"
#include "datasets/grounding/grounding_dataset.h"

namespace mdetr::grounding {

class ConcatDataset {
 public:
  explicit ConcatDataset(std::vector<std::shared_ptr<const GroundingDataset>> parts);

  int64_t size() const { return ends_.empty() ? 0 : ends_.back(); }
  // Sample `index` of the concatenation (its Sample::index is that global index); errors name the
  // part's annotation file.
  Result<Sample> Get(int64_t index, std::mt19937_64& rng) const;

  size_t num_parts() const { return parts_.size(); }
  const GroundingDataset& part(size_t i) const { return *parts_[i]; }
  // The part that holds `index` (index in [0, size())).
  size_t PartOf(int64_t index) const;

 private:
  std::vector<std::shared_ptr<const GroundingDataset>> parts_;
  std::vector<int64_t> ends_;  // cumulative sizes: part p holds [ends_[p-1], ends_[p])
};

}  // namespace mdetr::grounding
