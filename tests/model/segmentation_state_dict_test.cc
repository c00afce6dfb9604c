// The segmentation model's state-dict names and shapes against the released PhraseCut checkpoints'
// key lists (../shared/reference/mdetr-keys/*phrasecut*.tsv: detr.* detector, bbox_attention.*,
// mask_head.*), and the frozen-detector loading of --frozen_weights.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "model/nn/segmentation.h"
#include "model/nn/state_dict.h"
#include "tests/model/key_list.h"
#include "tests/model/segmentation_fixture.h"

namespace mdetr::model {
namespace {

using testing::ReadKeyList;

void ExpectSameKeys(const config::ModelConfig& cfg, const std::string& tsv) {
  MdetrSegm model(cfg);
  const auto ours = NamedStateDict(*model);
  const auto ref = ReadKeyList("../shared/reference/mdetr-keys/" + tsv);
  ASSERT_GT(ref.size(), 100u) << tsv;
  int heads = 0;
  for (const auto& [name, dims] : ref) {
    if (name.find("position_ids") != std::string::npos) continue;  // recomputed, not stored
    heads += name.rfind("mask_head.", 0) == 0 || name.rfind("bbox_attention.", 0) == 0;
    auto it = ours.find(name);
    if (it == ours.end()) {
      ADD_FAILURE() << tsv << ": the model has no " << name;
      continue;
    }
    EXPECT_EQ(it->second.sizes().vec(), dims) << name;
  }
  EXPECT_EQ(heads, 4 + 2 * 6 + 2 * 5 + 2 * 3);  // q/k linear, 6 convs, 5 group norms, 3 adapters
  for (const auto& [name, t] : ours) EXPECT_TRUE(ref.count(name)) << tsv << ": extra key " << name;
}

config::ModelConfig PhraseCutConfig(const std::string& backbone) {
  config::ModelConfig cfg;  // the reference defaults: hidden 256, 8 heads, 6+6 layers, 100 queries
  cfg.backbone = backbone;
  cfg.masks = true;
  cfg.contrastive_align_loss = false;  // the phrasecut checkpoints carry no alignment projections
  return cfg;
}

TEST(SegmentationStateDictTest, ResNet101PhraseCutMatchesTheReleasedCheckpointKeys) {
  ExpectSameKeys(PhraseCutConfig("resnet101"), "mdetr_resnet101_phrasecut.tsv");
}

TEST(SegmentationStateDictTest, EfficientNetB3PhraseCutMatchesTheReleasedCheckpointKeys) {
  ExpectSameKeys(PhraseCutConfig("timm_tf_efficientnet_b3_ns"), "mdetr_efficientnetB3_phrasecut.tsv");
}

TEST(SegmentationStateDictTest, FrozenDetectorLoadsTheDetectorAndStopsItsGradients) {
  const auto cfg = testing::TinySegmConfig().model;
  // A detector trained on its own (plain keys, plus the alignment projections it was trained with).
  auto detector_cfg = cfg;
  detector_cfg.contrastive_align_loss = true;
  Mdetr detector(detector_cfg);
  FillSyntheticWeights(*detector);
  const auto weights = NamedStateDict(*detector);

  MdetrSegm model(cfg);
  auto report = LoadFrozenDetector(*model, weights);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(model->detector_frozen());
  EXPECT_EQ(report->unexpected.size(), 4u);  // contrastive_align_projection_image/_text weight+bias
  const auto loaded = NamedStateDict(*model);
  for (const auto& [name, t] : NamedStateDict(*model->detr())) {
    EXPECT_TRUE(t.equal(weights.at(name))) << name;
    EXPECT_TRUE(loaded.count("detr." + name)) << name;
  }
  for (const auto& p : model->named_parameters()) {
    const bool head = p.key().rfind("detr.", 0) != 0;
    EXPECT_EQ(p.value().requires_grad(), head) << p.key();
  }
}

TEST(SegmentationStateDictTest, FrozenDetectorAcceptsASegmentationCheckpointAndRejectsAPartialOne) {
  const auto cfg = testing::TinySegmConfig().model;
  auto source = testing::MakeTinySegm(torch::kFloat32);
  StateDict segm_weights = NamedStateDict(*source);
  MdetrSegm model(cfg);
  ASSERT_TRUE(LoadFrozenDetector(*model, segm_weights).ok());
  EXPECT_TRUE(
      model->detr()->named_parameters()["class_embed.bias"].equal(segm_weights.at("detr.class_embed.bias")));
  // The mask head is not taken from the checkpoint: it is what the second stage trains.
  EXPECT_FALSE(
      model->mask_head()->named_parameters()["lay1.weight"].equal(segm_weights.at("mask_head.lay1.weight")));

  MdetrSegm fresh(cfg);
  const auto before = fresh->detr()->named_parameters()["class_embed.bias"].clone();
  StateDict partial = segm_weights;
  partial.erase("detr.query_embed.weight");
  partial["detr.class_embed.bias"] = torch::zeros({3});
  auto r = LoadFrozenDetector(*fresh, partial);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("query_embed.weight missing"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("class_embed.bias: weights [3]"), std::string::npos) << r.status();
  EXPECT_FALSE(fresh->detector_frozen());
  EXPECT_TRUE(fresh->detr()->named_parameters()["class_embed.bias"].equal(before));  // unchanged
}

}  // namespace
}  // namespace mdetr::model
