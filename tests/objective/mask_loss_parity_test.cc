// The mask losses against the reference's SetCriterion.loss_masks on the tiny segmentation model
// (tools/parity/model/make_segm_goldens.py): loss_mask and loss_dice and the gradients of the
// attention map and mask head (both sides in float64: see the goldens script for why), and how
// SetCriterion adds the terms.
#include <gtest/gtest.h>

#include "model/objective/mask_losses.h"
#include "model/objective/set_criterion.h"
#include "tests/objective/mask_targets.h"

namespace mdetr::objective {
namespace {

using testing::RelativeMaxDiff;

TEST(MaskLossParityTest, LossesAndMaskHeadGradientsMatchTheReference) {
  testing::SegmGoldens g;
  const auto cfg = testing::TinySegmConfig();
  auto model = testing::MakeTinySegm();
  // The gradients compared are the heads'; the detector's would cost a backward pass through it.
  model->FreezeDetector();
  const auto batch = SegmTargets(g);
  const auto out = model->forward(g.images(), g.text());

  // With synthetic weights the queries' predictions differ by ~1e-6, so the Hungarian matching is
  // decided by rounding (the reference's own float32 and float64 runs match differently): the mask
  // terms are checked on the reference's matches.
  std::vector<MatchIndices> ref_match;
  std::vector<torch::Tensor> target_masks;
  double num_boxes = 0;
  for (size_t b = 0; b < batch.targets.size(); ++b) {
    const std::string p = "match." + std::to_string(b) + ".";
    const auto src = g(p + "src"), tgt = g(p + "tgt");
    ref_match.push_back(
        {std::vector<int64_t>(src.data_ptr<int64_t>(), src.data_ptr<int64_t>() + src.numel()),
         std::vector<int64_t>(tgt.data_ptr<int64_t>(), tgt.data_ptr<int64_t>() + tgt.numel())});
    target_masks.push_back(batch.targets[b].masks);
    num_boxes += static_cast<double>(batch.targets[b].size());
  }
  auto masks = LossMasks(out.pred_masks, target_masks, ref_match, num_boxes);
  ASSERT_TRUE(masks.ok()) << masks.status();
  EXPECT_NEAR(masks->focal.item<double>(), g("loss.loss_mask").item<double>(),
              1e-6 * g("loss.loss_mask").item<double>());
  EXPECT_NEAR(masks->dice.item<double>(), g("loss.loss_dice").item<double>(),
              1e-6 * g("loss.loss_dice").item<double>());

  // The criterion adds the same terms, for its own matches, on the last layer only, weighted by
  // mask_loss_coef and dice_loss_coef.
  SetCriterion criterion(CriterionOptionsFrom(cfg.model, cfg.loss));
  auto result = criterion(out, batch.targets, batch.encodings);
  ASSERT_TRUE(result.ok()) << result.status();
  auto own = LossMasks(out.pred_masks, target_masks, result->last_layer_match, result->num_boxes);
  ASSERT_TRUE(own.ok());
  EXPECT_DOUBLE_EQ(result->losses.at("loss_mask").item<double>(), own->focal.item<double>());
  EXPECT_DOUBLE_EQ(result->losses.at("loss_dice").item<double>(), own->dice.item<double>());
  EXPECT_EQ(result->losses.count("loss_mask_0") + result->losses.count("loss_dice_0"), 0u);
  const auto weights = WeightDict(cfg.model, cfg.loss);
  EXPECT_EQ(weights.at("loss_mask"), 1.0);  // the reference's defaults
  EXPECT_EQ(weights.at("loss_dice"), 1.0);

  // Only the mask terms reach the heads, so their gradients are those of the reference's total.
  (masks->focal + masks->dice).backward();
  // Some gradients are zero in exact arithmetic (k_linear's bias: the softmax ignores a shift
  // shared by all positions; lay5's bias: gn5 normalises each of its channels on its own): both
  // sides hold rounding noise there, checked to be negligible against the largest gradient.
  double global_max = 0;
  for (const auto& [key, t] : g.segm()) {
    if (key.rfind("grad.", 0) == 0) global_max = std::max(global_max, t.abs().max().item<double>());
  }
  int full = 0, stats = 0, zero = 0;
  for (const auto& p : model->named_parameters()) {
    const std::string& name = p.key();
    if (name.rfind("detr.", 0) == 0) continue;
    const auto grad = p.value().grad();
    ASSERT_TRUE(grad.defined()) << name;
    if (auto it = g.segm().find("grad." + name); it != g.segm().end()) {
      if (it->second.abs().max().item<double>() < 1e-7 * global_max) {
        EXPECT_LT(grad.abs().max().item<double>(), 1e-6 * global_max) << name;
        ++zero;
        continue;
      }
      EXPECT_LE(RelativeMaxDiff(grad, it->second), 1e-5) << name;
      ++full;
    } else {
      const auto& st = g("gradstat." + name);
      const auto gd = grad.to(torch::kFloat64);
      const double norm = st[0].item<double>();
      std::vector<double> ours = {gd.norm().item<double>(), gd.sum().item<double>()};
      for (int i = 0; i < 3; ++i) {
        auto probe =
            model::SyntheticTensor(name + ":probe" + std::to_string(i), grad.sizes()).to(torch::kFloat64);
        ours.push_back((gd * probe).sum().item<double>());
      }
      for (size_t k = 0; k < ours.size(); ++k) {
        const double ref = st[static_cast<int64_t>(k)].item<double>();
        EXPECT_NEAR(ours[k], ref, 1e-5 * std::max(std::abs(ref), norm)) << name << " statistic " << k;
      }
      ++stats;
    }
  }
  EXPECT_EQ(full + stats + zero, 4 + 9 * 2 + 5 * 2);
  EXPECT_GT(stats, 0);
  EXPECT_LE(zero, 2);
}

TEST(MaskLossTest, FocalAndDiceByHand) {
  // One mask of two pixels: logit 0 on a positive pixel, logit 2 on a negative one.
  const auto x = torch::tensor({{0.0f, 2.0f}});
  const auto t = torch::tensor({{1.0f, 0.0f}});
  const double s = 1 / (1 + std::exp(-2.0));
  const double focal0 = 0.25 * std::log(2.0) * 0.25;      // alpha * ce * (1-p_t)^2, p_t = 0.5
  const double focal1 = 0.75 * -std::log(1 - s) * s * s;  // (1-alpha) * ce * p^2
  EXPECT_NEAR(SigmoidFocalLoss(x, t, 2.0).item<double>(), (focal0 + focal1) / 2 / 2, 1e-6);
  const double dice = 1 - (2 * 0.5 + 1) / ((0.5 + s) + 1 + 1);
  EXPECT_NEAR(DiceLoss(x, t, 2.0).item<double>(), dice / 2, 1e-6);
}

TEST(MaskLossTest, PredictionsAreUpsampledToThePaddedTargetSize) {
  // A constant prediction upsampled stays constant; the smaller target is zero-padded, so its
  // padding counts as background (as the reference's batching does).
  const auto pred = torch::full({2, 1, 4, 4}, 3.0f);
  const std::vector<torch::Tensor> masks = {torch::ones({1, 8, 8}), torch::ones({1, 4, 8})};
  auto r = LossMasks(pred, masks, {{{0}, {0}}, {{0}, {0}}}, 2);
  ASSERT_TRUE(r.ok()) << r.status();
  const double p = 1 / (1 + std::exp(-3.0));
  const double dice_full = 1 - (2 * 64 * p + 1) / (64 * p + 64 + 1);
  const double dice_half = 1 - (2 * 32 * p + 1) / (64 * p + 32 + 1);
  EXPECT_NEAR(r->dice.item<double>(), (dice_full + dice_half) / 2, 1e-6);
}

TEST(MaskLossTest, BadTargetsAreErrors) {
  const auto pred = torch::zeros({1, 4, 8, 8});
  std::vector<MatchIndices> match = {{{0, 1}, {0, 2}}};
  auto r = LossMasks(pred, {torch::zeros({2, 16, 16})}, match, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("matches target 2 but has 2 masks"), std::string::npos) << r.status();
  EXPECT_FALSE(LossMasks(pred, {torch::Tensor()}, match, 2).ok());
  EXPECT_FALSE(LossMasks(pred, {}, match, 2).ok());
}

}  // namespace
}  // namespace mdetr::objective
