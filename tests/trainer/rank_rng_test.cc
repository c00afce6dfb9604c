// Gathering and restoring the generator states a checkpoint keeps per rank (one process here; the
// two-rank resume runs real Gloo ranks in resume_test.cc).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/trainer/rank_rng.h"

namespace mdetr::trainer {
namespace {

TEST(RankRngTest, RestoredStatesContinueTheSameStreamAndMissingRanksAreReported) {
  auto single = MakeSingleProcess();
  torch::manual_seed(123);
  torch::rand({10});  // somewhere in the stream, not at the seed
  auto states = GatherRngStates(*single, torch::kCPU);
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->cpu.dim(), 2);
  EXPECT_EQ(states->cpu.size(0), 1);
  EXPECT_FALSE(states->cuda.defined());
  const auto expected = torch::rand({1000});

  torch::manual_seed(999);
  ASSERT_TRUE(RestoreRngStates(*states, 0, torch::kCPU).ok());
  EXPECT_TRUE(torch::equal(torch::rand({1000}), expected));

  torch::manual_seed(999);
  const auto before = at::detail::getDefaultCPUGenerator().get_state();
  const Status missing = RestoreRngStates(*states, 1, torch::kCPU);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing;
  EXPECT_NE(missing.message().find("none for rank 1"), std::string::npos) << missing;
  EXPECT_TRUE(torch::equal(at::detail::getDefaultCPUGenerator().get_state(), before));  // left alone
}

}  // namespace
}  // namespace mdetr::trainer
