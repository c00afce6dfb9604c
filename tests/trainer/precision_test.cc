// bf16 autocast and channels-last: what they change and what they must not.
#include <gtest/gtest.h>

#include "worker/trainer/precision.h"

namespace mdetr::trainer {
namespace {

TEST(PrecisionTest, AutocastRunsMatmulsInBf16OnlyInsideTheScope) {
  torch::manual_seed(1);
  torch::nn::Linear layer(16, 8);
  const auto x = torch::randn({4, 16});
  const auto full = layer(x);
  torch::Tensor half;
  {
    AutocastScope scope(torch::kCPU, /*bf16=*/true);
    half = layer(x);
  }
  EXPECT_EQ(half.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(layer(x).scalar_type(), torch::kFloat32);  // the scope was left
  // bf16 keeps 8 bits of mantissa: close to fp32, not equal.
  EXPECT_TRUE(torch::allclose(half.to(torch::kFloat32), full, 2e-2, 2e-2));
  {
    AutocastScope off(torch::kCPU, /*bf16=*/false);
    EXPECT_EQ(layer(x).scalar_type(), torch::kFloat32);
  }
}

TEST(PrecisionTest, OutputsAreCastBackToFloat32ForTheLosses) {
  model::MdetrOutputs out;
  out.pred_logits = torch::randn({2, 1, 3, 256}).to(torch::kBFloat16);
  out.pred_boxes = torch::rand({2, 1, 3, 4}).to(torch::kBFloat16);
  out.answers["answer_type"] = torch::randn({1, 5}).to(torch::kBFloat16);
  out = ToFloat32(std::move(out));
  EXPECT_EQ(out.pred_logits.scalar_type(), torch::kFloat32);
  EXPECT_EQ(out.pred_boxes.scalar_type(), torch::kFloat32);
  EXPECT_EQ(out.answers["answer_type"].scalar_type(), torch::kFloat32);
  EXPECT_FALSE(out.proj_queries.defined());  // absent outputs stay absent
}

TEST(PrecisionTest, ChannelsLastChangesTheLayoutNotTheResult) {
  torch::manual_seed(2);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)), torch::nn::ReLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 4, 1)));
  const auto x = torch::randn({2, 3, 20, 28});
  const auto before = net->forward(x);
  ToChannelsLast(*net);
  for (const auto& p : net->parameters()) {
    if (p.dim() == 4) EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
  }
  const auto after = net->forward(x.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(after, before, 1e-5, 1e-6));
}

}  // namespace
}  // namespace mdetr::trainer
