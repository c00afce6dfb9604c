// The order in which a rank visits a dataset, with torch's DistributedSampler semantics: shuffle
// with a generator seeded by seed + epoch (the same permutation torch.randperm gives in Python),
// pad to a multiple of the world size by repeating the head, then take every world_size-th index
// starting at rank. Batches are consecutive runs of batch_size (the last one dropped or kept).
#pragma once

#include <cstdint>
#include <vector>

namespace mdetr::grounding {

struct SamplerOptions {
  int64_t dataset_size = 0;
  int64_t batch_size = 1;
  int rank = 0;
  int world_size = 1;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = true;
};

// Dataset indices of each batch of `epoch` for this rank.
std::vector<std::vector<int64_t>> EpochBatches(const SamplerOptions& options, int64_t epoch);

}  // namespace mdetr::grounding
