// The second PhraseCut stage (the reference's --frozen_weights): with the detector loaded and
// frozen, an optimisation step of the usual recipe changes the attention map and mask head only.
// A ResNet-18 detector keeps it quick (the mask head takes its widths from the backbone).
#include <gtest/gtest.h>

#include "model/nn/state_dict.h"
#include "model/objective/optim_recipe.h"
#include "model/objective/set_criterion.h"
#include "tests/objective/mask_targets.h"

namespace mdetr::objective {
namespace {

config::ExperimentConfig SmallConfig() {
  auto cfg = testing::TinySegmConfig();
  cfg.model.backbone = "resnet18";
  return cfg;
}

model::MdetrSegm MakeSmallSegm() {
  model::MdetrSegm m(SmallConfig().model);
  model::FillSyntheticWeights(*m);
  return m;
}

// One step of the training recipe on the goldens' batch; returns the weights before it.
model::StateDict StepOnce(model::MdetrSegmImpl& model) {
  testing::SegmGoldens g;
  const auto cfg = SmallConfig();
  const auto batch = SegmTargets(g);
  auto before = model::NamedStateDict(model);
  for (auto& [k, v] : before) v = v.clone();
  SetCriterion criterion(CriterionOptionsFrom(cfg.model, cfg.loss));
  auto optimizer = MakeOptimizer(SplitParameters(model), cfg.optim);
  auto result = criterion(model.forward(g.images(torch::kFloat32), g.text()), batch.targets, batch.encodings);
  EXPECT_TRUE(result.ok()) << result.status();
  auto total = WeightedTotal(result->losses, WeightDict(cfg.model, cfg.loss));
  optimizer->zero_grad();
  total.backward();
  ClipGradNorm(model, cfg.optim.clip_max_norm);
  optimizer->step();
  return before;
}

TEST(MaskFrozenTest, OnlyTheMaskHeadChangesOnAFrozenDetector) {
  // Stage one's detector, saved as a plain detector.
  model::Mdetr detector(SmallConfig().model);
  model::FillSyntheticWeights(*detector);
  auto model = MakeSmallSegm();
  ASSERT_TRUE(model::LoadFrozenDetector(*model, model::NamedStateDict(*detector)).ok());

  const auto before = StepOnce(*model);
  int heads = 0;
  for (const auto& p : model->named_parameters()) {
    const bool head = p.key().rfind("detr.", 0) != 0;
    if (head) {
      ++heads;
      EXPECT_FALSE(p.value().equal(before.at(p.key()))) << p.key() << " did not train";
    } else {
      EXPECT_FALSE(p.value().grad().defined()) << p.key() << " has a gradient";
      EXPECT_TRUE(p.value().equal(before.at(p.key()))) << p.key() << " changed";
    }
  }
  EXPECT_EQ(heads, 32);
  for (const auto& b : model->named_buffers()) EXPECT_TRUE(b.value().equal(before.at(b.key()))) << b.key();
}

TEST(MaskFrozenTest, WithoutFreezingTheSameStepAlsoMovesTheDetector) {
  auto model = MakeSmallSegm();
  const auto before = StepOnce(*model);
  int changed = 0;
  for (const auto& p : model->detr()->named_parameters()) {
    changed += !p.value().equal(before.at("detr." + p.key()));
  }
  EXPECT_GT(changed, 100);
}

}  // namespace
}  // namespace mdetr::objective
