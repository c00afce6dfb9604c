// A loader for a CUDA device collates in pinned memory and hands out batches already on the GPU,
// equal to the CPU loader's. Skipped without a GPU.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "datasets/grounding/loader.h"
#include "tests/grounding/real_dataset.h"

namespace mdetr::grounding {
namespace {

TEST(LoaderCudaTest, BatchesArriveOnTheGpuEqualToCpuBatches) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto ds = testdata::OpenRealImages(/*train=*/true);
  ASSERT_TRUE(ds.ok()) << ds.status();
  LoaderOptions o;
  o.sampler.batch_size = 4;
  o.sampler.seed = 3;
  Loader cpu(*ds, o);
  o.device = torch::Device(torch::kCUDA, 0);
  Loader gpu(*ds, o);
  cpu.Start(0);
  gpu.Start(0);
  int batches = 0;
  while (auto c = cpu.Next()) {
    auto g = gpu.Next();
    ASSERT_TRUE(g.has_value());
    EXPECT_TRUE(g->images.is_cuda());
    EXPECT_TRUE(g->mask.is_cuda());
    EXPECT_TRUE(g->input_ids.is_cuda());
    EXPECT_TRUE(torch::equal(g->images.cpu(), c->images));
    EXPECT_TRUE(torch::equal(g->mask.cpu(), c->mask));
    EXPECT_TRUE(torch::equal(g->input_ids.cpu(), c->input_ids));
    ++batches;
  }
  EXPECT_FALSE(gpu.Next().has_value());
  EXPECT_GT(batches, 0);
}

TEST(LoaderCudaTest, CollateAllocatesPinnedMemoryWhenAsked) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto ds = testdata::OpenRealImages(/*train=*/false);
  ASSERT_TRUE(ds.ok()) << ds.status();
  std::mt19937_64 rng(1);
  auto s = (*ds)->Get(0, rng);
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<Sample> samples;
  samples.push_back(std::move(s).value());
  const Batch b = Collate(std::move(samples), 1, /*pin_memory=*/true);
  EXPECT_TRUE(b.images.is_pinned());
  EXPECT_TRUE(b.mask.is_pinned());
}

}  // namespace
}  // namespace mdetr::grounding
