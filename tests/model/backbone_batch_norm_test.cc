// The backbone norm with batch statistics (model.backbone_norm: batch) against LibTorch's own
// BatchNorm2d, and its promise that a model trained that way evaluates as the frozen one does.
#include "model/nn/backbone_batch_norm.h"

#include <gtest/gtest.h>

#include "model/nn/resnet.h"
#include "model/nn/state_dict.h"

namespace mdetr::model {
namespace {

TEST(BackboneBatchNormTest, TrainsAndEvaluatesAsTorchBatchNorm) {
  torch::manual_seed(3);
  BackboneBatchNorm2d ours(6, /*batch_statistics=*/true);
  torch::nn::BatchNorm2d theirs(torch::nn::BatchNorm2dOptions(6).momentum(0.1).eps(1e-5));
  {
    torch::NoGradGuard no_grad;
    auto w = torch::rand({6}) + 0.5, b = torch::randn({6});
    ours->weight.copy_(w);
    ours->bias.copy_(b);
    theirs->weight.copy_(w);
    theirs->bias.copy_(b);
  }
  for (int step = 0; step < 3; ++step) {
    const auto x = torch::randn({4, 6, 5, 7}) * 3 + 2;
    const auto a = ours(x), e = theirs(x);
    EXPECT_LT((a - e).abs().max().item<double>(), 1e-5) << "training step " << step;
    // Normalised by the batch: per channel, mean ~ bias.
    EXPECT_LT(((a.mean({0, 2, 3}) - ours->bias).abs().max()).item<double>(), 1e-4);
  }
  EXPECT_LT((ours->running_mean - theirs->running_mean).abs().max().item<double>(), 1e-6);
  EXPECT_LT((ours->running_var - theirs->running_var).abs().max().item<double>(), 1e-5);
  EXPECT_GT(ours->running_mean.abs().max().item<double>(), 0.3) << "running statistics did not move";
  ours->eval();
  theirs->eval();
  const auto x = torch::randn({2, 6, 3, 3});
  EXPECT_LT((ours(x) - theirs(x)).abs().max().item<double>(), 1e-5);
}

TEST(BackboneBatchNormTest, GradientsReachTheAffineParametersOnlyWithBatchStatistics) {
  BackboneBatchNorm2d frozen(4), batch(4, true);
  EXPECT_TRUE(frozen->parameters().empty());
  ASSERT_EQ(batch->parameters().size(), 2u);
  const auto x = torch::randn({2, 4, 3, 3});
  batch(x).pow(2).sum().backward();
  EXPECT_GT(batch->weight.grad().abs().sum().item<double>(), 0);
}

TEST(BackboneBatchNormTest, AResNetTrainedWithBatchStatisticsEvaluatesAsAFrozenOne) {
  torch::manual_seed(5);
  ResNet trained(ResNetSpecFor("resnet18"), /*dilation_in_layer4=*/false, /*batch_statistics=*/true);
  trained->train();
  {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < 3; ++i) trained->forward(torch::randn({2, 3, 64, 64}), false);
  }
  trained->eval();
  ResNet frozen(ResNetSpecFor("resnet18"), false, false);
  const auto trained_state = NamedStateDict(*trained);
  const auto frozen_state = NamedStateDict(*frozen);
  ASSERT_EQ(trained_state.size(), frozen_state.size());
  for (const auto& [name, t] : frozen_state) EXPECT_TRUE(trained_state.count(name)) << name;
  auto report = LoadStateDict(*frozen, trained_state, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->missing.empty() && report->unexpected.empty() && report->mismatched.empty());
  const auto x = torch::randn({1, 3, 64, 64});
  const auto a = trained->forward(x, false).back(), b = frozen->forward(x, false).back();
  EXPECT_EQ((a - b).abs().max().item<double>(), 0.0);
  // The statistics are the batches' own, not the initial identity.
  EXPECT_GT(trained_state.at("layer1.0.bn1.running_var").sub(1).abs().max().item<double>(), 0.01);
}

}  // namespace
}  // namespace mdetr::model
