// The distributed sampler against torch.utils.data.DistributedSampler's semantics.
#include "datasets/grounding/distributed_sampler.h"

#include <gtest/gtest.h>

#include <set>

namespace mdetr::grounding {
namespace {

TEST(SamplerTest, ShuffleIsTorchRandpermOfSeedPlusEpoch) {
  // torch.randperm(10, generator=torch.Generator().manual_seed(42 + 1)).tolist() in Python.
  SamplerOptions o{10, 10, 0, 1, true, 42, false};
  auto b = EpochBatches(o, 1);
  ASSERT_EQ(b.size(), 1u);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(43);
  auto perm = torch::randperm(10, gen, torch::kInt64);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b[0][static_cast<size_t>(i)], perm[i].item<int64_t>());
  EXPECT_NE(EpochBatches(o, 1), EpochBatches(o, 2));
  EXPECT_EQ(EpochBatches(o, 1), EpochBatches(o, 1));
}

TEST(SamplerTest, RanksPartitionThePaddedPermutation) {
  SamplerOptions o{11, 2, 0, 3, true, 7, false};
  std::multiset<int64_t> seen;
  size_t per_rank = 0;
  for (int r = 0; r < 3; ++r) {
    o.rank = r;
    size_t n = 0;
    for (const auto& batch : EpochBatches(o, 0)) {
      n += batch.size();
      seen.insert(batch.begin(), batch.end());
    }
    if (r == 0) per_rank = n;
    EXPECT_EQ(n, per_rank);  // every rank the same number of samples
  }
  EXPECT_EQ(per_rank, 4u);    // ceil(11 / 3)
  EXPECT_EQ(seen.size(), 12u);  // padded by repeating one sample
  for (int64_t i = 0; i < 11; ++i) EXPECT_GE(seen.count(i), 1u);
}

TEST(SamplerTest, DropLastAndSequentialOrder) {
  SamplerOptions o{7, 3, 0, 1, false, 0, true};
  auto b = EpochBatches(o, 0);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1], (std::vector<int64_t>{3, 4, 5}));
  o.drop_last = false;
  EXPECT_EQ(EpochBatches(o, 0).back(), (std::vector<int64_t>{6}));
}

}  // namespace
}  // namespace mdetr::grounding
