// The second PhraseCut stage (the reference's --frozen_weights): with the detector frozen, an
// optimisation step of the usual recipe changes the attention map and mask head only; the same
// step on the unfrozen model moves the detector too.
#include <gtest/gtest.h>

#include "model/nn/state_dict.h"
#include "model/objective/optim_recipe.h"
#include "model/objective/set_criterion.h"
#include "tests/objective/mask_targets.h"

namespace mdetr::objective {
namespace {

// One step of the training recipe (fresh AdamW, clipping) on the goldens' batch; returns the
// parameters before it.
model::StateDict StepOnce(model::MdetrSegmImpl& model) {
  testing::SegmGoldens g;
  const auto cfg = testing::TinySegmConfig();
  const auto batch = SegmTargets(g);
  model::StateDict before;
  for (const auto& p : model.named_parameters()) before[p.key()] = p.value().detach().clone();
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
  auto model = testing::MakeTinySegm(torch::kFloat32);
  model->FreezeDetector();
  auto before = StepOnce(*model);
  int heads = 0;
  for (const auto& p : model->named_parameters()) {
    if (p.key().rfind("detr.", 0) != 0) {
      ++heads;
      EXPECT_FALSE(p.value().equal(before.at(p.key()))) << p.key() << " did not train";
    } else {
      EXPECT_FALSE(p.value().grad().defined()) << p.key() << " has a gradient";
      EXPECT_TRUE(p.value().equal(before.at(p.key()))) << p.key() << " changed";
    }
  }
  EXPECT_EQ(heads, 32);  // q/k linear, 6 convs + 3 adapters, 5 group norms: weight and bias each

  // The same step with the detector trainable again (as the reference's first stage trains it)
  // moves it: freezing is what kept it still.
  for (const auto& p : model->detr()->named_parameters()) {
    if (p.key().find("backbone") == std::string::npos) p.value().set_requires_grad(true);
  }
  before = StepOnce(*model);
  int moved = 0;
  for (const auto& p : model->detr()->named_parameters())
    moved += !p.value().equal(before.at("detr." + p.key()));
  EXPECT_GT(moved, 50);
}

}  // namespace
}  // namespace mdetr::objective
