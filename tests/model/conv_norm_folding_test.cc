// Inference runs each ResNet conv + frozen norm as one folded, channels-last convolution: it must
// compute what the two ops compute, and notice when the weights under its cache change.
#include "model/nn/conv_norm_folding.h"

#include <gtest/gtest.h>

#include "model/nn/resnet.h"
#include "model/nn/synthetic_weights.h"

namespace mdetr::model {
namespace {

double RelativeMaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

torch::Tensor WithGradients(ResNet& net, const torch::Tensor& x) {  // conv then norm, NCHW
  return net->forward(x, /*all_levels=*/true).back().detach();
}

torch::Tensor Inference(ResNet& net, const torch::Tensor& x) {  // folded, channels-last
  torch::NoGradGuard no_grad;
  return net->forward(x, /*all_levels=*/true).back();
}

TEST(ConvNormFoldingTest, FoldedInferenceComputesTheConvThenTheNorm) {
  ResNet net(ResNetSpecFor("resnet50"), /*dilation_in_layer4=*/false);
  FillSyntheticWeights(*net, SyntheticPattern::kScrambled);
  net->eval();
  torch::manual_seed(0);
  const auto x = torch::randn({2, 3, 96, 128});
  const auto folded = Inference(net, x), plain = WithGradients(net, x);
  EXPECT_TRUE(folded.is_contiguous()) << "the levels leave the backbone in the usual layout";
  EXPECT_LT(RelativeMaxDiff(folded, plain), 1e-5);
}

TEST(ConvNormFoldingTest, ChangedWeightsOrStatisticsAreFoldedAgain) {
  ResNet net(ResNetSpecFor("resnet18"), /*dilation_in_layer4=*/false);
  FillSyntheticWeights(*net);
  net->eval();
  const auto x = torch::randn({1, 3, 64, 64});
  const auto before = Inference(net, x);
  {
    torch::NoGradGuard no_grad;  // as a state-dict load writes: in place
    for (auto& b : net->named_buffers()) {
      if (b.key().find("running_var") != std::string::npos) b.value().mul_(4);
    }
  }
  const auto after_stats = Inference(net, x);
  EXPECT_GT(RelativeMaxDiff(after_stats, before), 1e-2) << "stale folded norms";
  EXPECT_LT(RelativeMaxDiff(after_stats, WithGradients(net, x)), 1e-5);
  {
    torch::NoGradGuard no_grad;  // as an optimizer step writes
    for (auto& p : net->named_parameters()) {
      if (p.key().find("conv") != std::string::npos) p.value().mul_(-1);
    }
  }
  const auto after_weights = Inference(net, x);
  EXPECT_GT(RelativeMaxDiff(after_weights, after_stats), 1e-2) << "stale folded conv weights";
  EXPECT_LT(RelativeMaxDiff(after_weights, WithGradients(net, x)), 1e-5);
}

}  // namespace
}  // namespace mdetr::model
