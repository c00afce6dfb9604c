#include "datasets/grounding/distributed_sampler.h"

#include <torch/torch.h>

namespace mdetr::grounding {

std::vector<std::vector<int64_t>> EpochBatches(const SamplerOptions& o, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(o.dataset_size));
  if (o.shuffle) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + static_cast<uint64_t>(epoch));
    auto perm = torch::randperm(o.dataset_size, gen, torch::kInt64);
    std::copy(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + o.dataset_size, order.begin());
  } else {
    for (int64_t i = 0; i < o.dataset_size; ++i) order[static_cast<size_t>(i)] = i;
  }
  const int64_t world = std::max(1, o.world_size);
  const int64_t per_rank = (o.dataset_size + world - 1) / world;
  const int64_t total = per_rank * world;
  for (int64_t i = o.dataset_size; i < total && o.dataset_size > 0; ++i) {
    order.push_back(order[static_cast<size_t>((i - o.dataset_size) % o.dataset_size)]);
  }
  std::vector<int64_t> mine;
  for (int64_t i = o.rank; i < total; i += world) mine.push_back(order[static_cast<size_t>(i)]);
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < mine.size(); i += static_cast<size_t>(o.batch_size)) {
    const size_t end = std::min(mine.size(), i + static_cast<size_t>(o.batch_size));
    if (end - i < static_cast<size_t>(o.batch_size) && o.drop_last) break;
    batches.emplace_back(mine.begin() + static_cast<long>(i), mine.begin() + static_cast<long>(end));
  }
  return batches;
}

}  // namespace mdetr::grounding
