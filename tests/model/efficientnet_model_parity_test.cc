// MDETR on an EfficientNet-B3 backbone (tiny transformer and text encoder) against the reference
// (tools/parity/model/make_goldens.py --config b3_tiny): same synthetic weights, same real images
// and captions; intermediates agree to 1e-4 relative, logits and boxes to 1e-4 absolute.
#include <gtest/gtest.h>

#include <cstdio>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

using testing::MaxAbsDiff;
using testing::RelativeMaxDiff;

TEST(EfficientNetModelParityTest, B3TinyMatchesTheReference) {
  auto g = testing::LoadGoldens("tests/data/model/b3_tiny_goldens.pt");
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  cfg->model.backbone = "timm_tf_efficientnet_b3_ns";
  Mdetr model(cfg->model);
  FillSyntheticWeights(*model);
  model->eval();
  torch::NoGradGuard no_grad;

  auto cache = model->Encode({g.at("input.images"), g.at("input.mask")},
                             {g.at("input.input_ids"), g.at("input.attention_mask")});
  const auto& bb = model->last_backbone_output();
  EXPECT_TRUE(bb.features.back().mask.equal(g.at("backbone.mask")));
  EXPECT_LE(RelativeMaxDiff(bb.features.back().tensors, g.at("backbone.features")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(bb.pos.back(), g.at("backbone.pos")), 1e-4);
  EXPECT_TRUE(cache.mask.equal(g.at("cache.mask")));
  EXPECT_LE(RelativeMaxDiff(cache.img_memory, g.at("cache.img_memory")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache.text_memory, g.at("cache.text_memory")), 1e-4);

  auto out = model->Decode(cache);
  const double logits_diff = MaxAbsDiff(out.logits(), g.at("out.pred_logits"));
  const double boxes_diff = MaxAbsDiff(out.boxes(), g.at("out.pred_boxes"));
  std::printf("B3 tiny MDETR: max |diff| logits %.3g, boxes %.3g\n", logits_diff, boxes_diff);
  EXPECT_LE(logits_diff, 1e-4);
  EXPECT_LE(boxes_diff, 1e-4);
  EXPECT_LE(RelativeMaxDiff(out.proj_queries[-1], g.at("out.proj_queries")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(out.proj_tokens, g.at("out.proj_tokens")), 1e-4);
  for (int64_t i = 0; i + 1 < out.pred_logits.size(0); ++i) {
    const std::string p = "aux." + std::to_string(i) + ".";
    EXPECT_LE(MaxAbsDiff(out.pred_logits[i], g.at(p + "pred_logits")), 1e-4) << p;
    EXPECT_LE(MaxAbsDiff(out.pred_boxes[i], g.at(p + "pred_boxes")), 1e-4) << p;
  }
}

}  // namespace
}  // namespace mdetr::model
