// The C++ EfficientNet backbones against the reference's TimmBackbone (timm 0.4.12,
// tf_efficientnet_b{3,5}_ns, frozen BN), with numbers from tools/parity/model/make_effnet_goldens.py:
// same synthetic weights, two real images of odd sizes batched with a padding mask.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "model/nn/backbone.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

using testing::RelativeMaxDiff;

std::string ShapeOf(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

constexpr char kGoldens[] = "tests/data/model/effnet_backbone_goldens.pt";

// The weights the reference side used: SyntheticTensor under the MDETR state-dict name.
void FillAsInMdetr(Backbone& backbone) {
  torch::NoGradGuard no_grad;
  for (auto& p : backbone->named_parameters(true)) {
    p.value().copy_(SyntheticTensor("backbone.0." + p.key(), p.value().sizes()));
  }
  for (auto& b : backbone->named_buffers(true)) {
    b.value().copy_(SyntheticTensor("backbone.0." + b.key(), b.value().sizes()));
  }
}

class EfficientNetParityTest : public ::testing::Test {
 protected:
  void SetUp() override { goldens_ = testing::LoadGoldens(kGoldens); }
  const torch::Tensor& G(const std::string& name) {
    auto it = goldens_.find(name);
    if (it == goldens_.end()) throw std::runtime_error(std::string("golden missing: ") + name);
    return it->second;
  }
  std::vector<NestedTensor> Run(const std::string& name, bool all_levels) {
    Backbone backbone(name, /*train_backbone=*/true, all_levels, /*dilation=*/false);
    FillAsInMdetr(backbone);
    backbone->eval();
    torch::NoGradGuard no_grad;
    return backbone->forward({G("input.images"), G("input.mask")});
  }
  std::map<std::string, torch::Tensor> goldens_;
};

TEST_F(EfficientNetParityTest, B3EveryLevelMatchesTheReference) {
  auto levels = Run("timm_tf_efficientnet_b3_ns", /*all_levels=*/true);
  ASSERT_EQ(static_cast<int64_t>(levels.size()), G("b3.num_levels").item<int64_t>());
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string p = "b3.layer" + std::to_string(i) + ".";
    ASSERT_EQ(levels[i].tensors.sizes(), G(p + "features").sizes()) << p;
    const double diff = RelativeMaxDiff(levels[i].tensors, G(p + "features"));
    std::printf("B3 level %zu %s: relative max diff %.3g\n", i, ShapeOf(levels[i].tensors).c_str(), diff);
    EXPECT_LE(diff, 1e-4) << p;
    EXPECT_TRUE(levels[i].mask.equal(G(p + "mask"))) << p;
  }
}

TEST_F(EfficientNetParityTest, B5LastLevelMatchesTheReference) {
  auto levels = Run("timm_tf_efficientnet_b5_ns", /*all_levels=*/false);
  ASSERT_EQ(levels.size(), 1u);  // MDETR's detector reads only the last level
  const std::string p = "b5.layer" + std::to_string(G("b5.num_levels").item<int64_t>() - 1) + ".";
  ASSERT_EQ(levels[0].tensors.sizes(), G(p + "features").sizes());
  const double diff = RelativeMaxDiff(levels[0].tensors, G(p + "features"));
  std::printf("B5 last level %s: relative max diff %.3g\n", ShapeOf(levels[0].tensors).c_str(), diff);
  EXPECT_LE(diff, 1e-4);
  EXPECT_TRUE(levels[0].mask.equal(G(p + "mask")));
}

TEST_F(EfficientNetParityTest, B3GradientsMatchTheReference) {
  // The reference trains every backbone parameter: gradients of sum_i <level_i, probe_i>.
  Backbone backbone("timm_tf_efficientnet_b3_ns", /*train_backbone=*/true, /*all_levels=*/true, false);
  FillAsInMdetr(backbone);
  backbone->eval();
  auto levels = backbone->forward({G("input.images"), G("input.mask")});
  auto loss = torch::zeros({1});
  for (size_t i = 0; i < levels.size(); ++i) {
    const auto probe = SyntheticTensor("probe.layer" + std::to_string(i), levels[i].tensors.sizes());
    loss = loss + (levels[i].tensors * probe).sum();
  }
  loss.backward();
  EXPECT_LE(RelativeMaxDiff(loss, G("b3.grad.loss")), 1e-4);
  int64_t with_grad = 0;
  std::map<std::string, torch::Tensor> grads;
  for (auto& p : backbone->named_parameters()) {
    if (p.value().grad().defined()) ++with_grad;
    grads[p.key()] = p.value().grad();
  }
  EXPECT_EQ(with_grad, G("b3.grad.num_params").item<int64_t>());
  int checked = 0;
  for (const auto& [name, golden] : goldens_) {
    if (name.rfind("b3.grad.", 0) != 0 || golden.dim() == 0 || name == "b3.grad.loss") continue;
    const std::string key = "body." + name.substr(8);
    ASSERT_TRUE(grads.count(key) && grads[key].defined()) << key;
    const double diff = RelativeMaxDiff(grads[key], golden);
    std::printf("B3 grad %s: relative max diff %.3g\n", key.c_str(), diff);
    EXPECT_LE(diff, 1e-4) << key;
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

TEST_F(EfficientNetParityTest, ChannelsAreTimmFeatureInfo) {
  for (const std::string tag : {"b3", "b5"}) {
    Backbone backbone("timm_tf_efficientnet_" + tag + "_ns", true, true, false);
    const auto expected = G(tag + ".channels");
    EXPECT_EQ(torch::tensor(backbone->level_channels()).equal(expected), true) << tag << ": " << expected;
    EXPECT_EQ(backbone->num_channels(), expected[-1].item<int64_t>()) << tag;
    EXPECT_EQ(static_cast<int64_t>(backbone->named_parameters().size() + backbone->named_buffers().size()),
              G(tag + ".num_keys").item<int64_t>())
        << tag;
  }
}

TEST_F(EfficientNetParityTest, BatchNormEpsilonOfTimmWouldBeDetected) {
  // The comparison must be able to fail: the reference's frozen BN uses eps 1e-5, not timm's 1e-3.
  // Folding the difference into every running variance (what timm's eps would do) moves the output
  // well past 1e-4.
  Backbone backbone("timm_tf_efficientnet_b3_ns", true, false, false);
  FillAsInMdetr(backbone);
  backbone->eval();
  torch::NoGradGuard no_grad;
  for (auto& b : backbone->named_buffers()) {
    if (b.key().find("running_var") != std::string::npos) b.value().add_(1e-3 - 1e-5);
  }
  auto out = backbone->forward({G("input.images"), G("input.mask")});
  EXPECT_GT(RelativeMaxDiff(out[0].tensors, G("b3.layer3.features")), 1e-4);
}

TEST(EfficientNetTest, OutputSizeIsCeilOfInputOverStride) {
  // TF SAME padding: every level is ceil(size / stride), whatever the input size.
  Backbone backbone("timm_tf_efficientnet_b3_ns", true, true, false);
  backbone->eval();
  torch::NoGradGuard no_grad;
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{65, 97}, {64, 96}, {33, 31}}) {
    auto levels = backbone->forward({torch::randn({1, 3, h, w}), torch::zeros({1, h, w}, torch::kBool)});
    ASSERT_EQ(levels.size(), 4u);
    int64_t stride = 4;
    for (const auto& level : levels) {
      EXPECT_EQ(level.tensors.size(2), (h + stride - 1) / stride) << h << "x" << w << " stride " << stride;
      EXPECT_EQ(level.tensors.size(3), (w + stride - 1) / stride) << h << "x" << w << " stride " << stride;
      stride *= 2;
    }
  }
}

TEST(EfficientNetTest, UnknownTimmModelIsAnError) {
  EXPECT_THROW(EfficientNetSpecFor("timm_tf_efficientnet_b4_ns"), c10::Error);
  EXPECT_EQ(EfficientNetSpecFor("tf_efficientnet_b5_ns").depth_multiplier, 2.2);
}

}  // namespace
}  // namespace mdetr::model
