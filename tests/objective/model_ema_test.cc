// ModelEma keeps the reference's average (ema * decay + (1 - decay) * weight, util/ema in the
// reference) bit for bit, for plain and channels-last weights and for buffers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/objective/optim_recipe.h"

namespace mdetr::objective {
namespace {

struct Net : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor stat, count;
  Net() {
    fc = register_module("fc", torch::nn::Linear(300, 200));
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3)));
    stat = register_buffer("stat", torch::rand({32}));
    count = register_buffer("count", torch::tensor({7}, torch::kInt64));
  }
};

TEST(ModelEmaTest, AveragesAsTheReferenceExpressionBitForBit) {
  torch::manual_seed(11);
  Net net;
  {
    torch::NoGradGuard ng;
    net.conv->weight.set_data(net.conv->weight.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  ModelEma ema(net);
  std::map<std::string, torch::Tensor> expected;
  for (const auto& [k, v] : ema.state()) expected[k] = v.clone();
  const double decay = 0.9998;
  for (int step = 0; step < 10; ++step) {
    {
      torch::NoGradGuard ng;
      for (auto& p : net.parameters()) p.add_(torch::randn_like(p));
      net.stat.add_(0.5);
      net.count.add_(3);
    }
    ema.Update(net, decay);
    for (const auto& p : net.named_parameters()) {
      expected[p.key()].copy_(expected[p.key()] * decay + (1.0 - decay) * p.value().detach());
    }
    for (const auto& b : net.named_buffers()) {
      expected[b.key()].copy_(expected[b.key()] * decay + (1.0 - decay) * b.value());
    }
  }
  ASSERT_EQ(ema.state().size(), 6u);
  for (const auto& [k, v] : ema.state()) {
    EXPECT_TRUE(torch::equal(v, expected[k])) << k << " differs by " << (v - expected[k]).abs().max().item<double>();
  }
  // The averages moved away from the first weights (and lag behind the current ones).
  EXPECT_GT((ema.state().at("fc.weight") - net.fc->weight).abs().max().item<double>(), 1.0);
  EXPECT_TRUE(ema.state().at("conv.weight").is_contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace
}  // namespace mdetr::objective
