// The segmentation model against the reference's DETRsegm (tools/parity/model/make_segm_goldens.py):
// same synthetic weights, images and captions, both in float64; the detector's outputs, the
// attention maps, the mask head and pred_masks must agree.
#include <cmath>

#include <gtest/gtest.h>

#include "tests/model/segmentation_fixture.h"

namespace mdetr::model {
namespace {

using testing::MaxAbsDiff;
using testing::RelativeMaxDiff;

// One model for three checks: building and filling the network is most of the time.
TEST(SegmentationParityTest, PredMasksMatchTheReference) {
  torch::NoGradGuard no_grad;
  testing::SegmGoldens g;
  auto model = testing::MakeTinySegm();
  const auto out = model->forward(g.images(), g.text());
  EXPECT_LE(MaxAbsDiff(out.logits(), g("out.pred_logits")), 1e-5);
  EXPECT_LE(MaxAbsDiff(out.boxes(), g("out.pred_boxes")), 1e-6);
  const auto& ref = g("out.pred_masks");
  ASSERT_EQ(out.pred_masks.sizes(), ref.sizes());
  // [B, Q, H/4, W/4] of the padded batch.
  EXPECT_EQ(out.pred_masks.size(2), (g("input.images").size(2) + 3) / 4);
  EXPECT_LE(RelativeMaxDiff(out.pred_masks, ref), 1e-5);

  // In float32 the mask head's group norms amplify the detector's rounding: the reference's own
  // float32 run is 6.1e-5 (relative to the largest value) away from its float64 one.
  model->to(torch::kFloat32);
  const auto out32 = model->forward(g.images(torch::kFloat32), g.text());
  EXPECT_LE(RelativeMaxDiff(out32.pred_masks, ref), 2e-4) << "float32";

  // The comparison can fail: one mask-head bias off by 0.01 moves the masks, not the detector.
  for (auto& p : model->named_parameters()) {
    if (p.key() == "mask_head.gn3.bias") p.value().add_(0.01);
  }
  const auto wrong = model->forward(g.images(torch::kFloat32), g.text());
  EXPECT_LE(MaxAbsDiff(wrong.logits(), out32.logits()), 1e-6);
  EXPECT_GT(MaxAbsDiff(wrong.pred_masks, ref), 1e-3);
}

TEST(SegmentationParityTest, AttentionMapMatchesTheReferenceOnItsInputs) {
  torch::NoGradGuard no_grad;
  testing::SegmGoldens g;
  const auto cfg = testing::TinySegmConfig().model;
  AttentionMap attention(cfg.hidden_dim, cfg.hidden_dim, cfg.nheads);
  testing::FillSyntheticWeightsAs(*attention, "bbox_attention.");
  attention->to(torch::kFloat64);
  const auto ours = attention(g("segm.attn.q").to(torch::kFloat64), g("segm.attn.k").to(torch::kFloat64),
                              g("segm.attn.mask"));
  ASSERT_EQ(ours.sizes(), g("segm.attn.out").sizes());  // [B,Q,heads,h,w]
  EXPECT_LE(MaxAbsDiff(ours, g("segm.attn.out")), 1e-6);
  EXPECT_TRUE(g("segm.attn.mask").any().item<bool>());  // padding present: the masking is exercised
  // Weights at padded positions are exactly zero, and each map sums to one.
  const auto pad = g("segm.attn.mask").unsqueeze(1).unsqueeze(1).expand_as(ours);
  EXPECT_EQ(ours.masked_select(pad).abs().max().item<float>(), 0.0f);
  EXPECT_LE((ours.flatten(3).sum(-1) - 1).abs().max().item<double>(), 1e-5);
}

// synthetic weights' formula without the 1/sqrt(fan_in) scale (as the goldens script feeds the head).
torch::Tensor MaskHeadInput(const std::string& name, std::vector<int64_t> shape) {
  int64_t fan_in = 1;
  for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  return (SyntheticTensor(name, shape) * std::sqrt(static_cast<double>(fan_in))).to(torch::kFloat64);
}

TEST(SegmentationParityTest, MaskHeadMatchesTheReferenceOnItsInputs) {
  torch::NoGradGuard no_grad;
  testing::SegmGoldens g;
  const auto cfg = testing::TinySegmConfig().model;
  // ResNet-18's stride 16, 8 and 4 widths.
  MaskHeadSmallConv head(cfg.hidden_dim + cfg.nheads, std::vector<int64_t>{256, 128, 64}, cfg.hidden_dim);
  testing::FillSyntheticWeightsAs(*head, "mask_head.");
  head->to(torch::kFloat64);
  const auto x = MaskHeadInput("mask_head.input.x", {2, 128, 3, 4});
  const auto attn = MaskHeadInput("mask_head.input.bbox_mask", {2, 3, 8, 3, 4}).abs();
  std::vector<torch::Tensor> fpns;
  const int64_t widths[] = {256, 128, 64};
  for (int64_t i = 0; i < 3; ++i) {
    fpns.push_back(
        MaskHeadInput("mask_head.input.fpn" + std::to_string(i), {2, widths[i], 3 << (i + 1), 4 << (i + 1)}));
  }
  const auto ours = head->forward(x, attn, fpns);
  const auto& ref = g("mask_head.output");
  ASSERT_EQ(ours.sizes(), ref.sizes());  // [B*Q,1,H/4,W/4]
  EXPECT_LE(RelativeMaxDiff(ours, ref), 1e-5);
}

}  // namespace
}  // namespace mdetr::model
