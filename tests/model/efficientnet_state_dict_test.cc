// State-dict names and shapes of MDETR with an EfficientNet backbone against the key lists of the
// released EfficientNet checkpoints (../shared/reference/mdetr-keys/*.tsv).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "tests/model/key_list.h"

namespace mdetr::model {
namespace {

using testing::ReadKeyList;

// Compares the keys under `prefix` of the model (all of them when empty) with the file's keys
// under `file_prefix` + `prefix`.
void ExpectSameKeys(const config::ModelConfig& cfg, const std::string& tsv, const std::string& prefix = "",
                    const std::string& file_prefix = "") {
  Mdetr model(cfg);
  std::map<std::string, torch::Tensor> ours;
  for (auto& [name, t] : NamedStateDict(*model)) {
    if (name.rfind(prefix, 0) == 0) ours[name] = t;
  }
  std::map<std::string, std::vector<int64_t>> ref;
  for (auto& [name, dims] : ReadKeyList("../shared/reference/mdetr-keys/" + tsv)) {
    if (name.rfind(file_prefix + prefix, 0) == 0) ref[name.substr(file_prefix.size())] = dims;
  }
  ASSERT_GT(ref.size(), 400u) << tsv;
  for (const auto& [name, dims] : ref) {
    if (name.find("position_ids") != std::string::npos) continue;  // recomputed, not stored
    auto it = ours.find(name);
    if (it == ours.end()) {
      ADD_FAILURE() << tsv << ": the model has no " << name;
      continue;
    }
    EXPECT_EQ(it->second.sizes().vec(), dims) << tsv << ": " << name;
  }
  for (const auto& [name, t] : ours) EXPECT_TRUE(ref.count(name)) << tsv << ": extra key " << name;
}

TEST(EfficientNetStateDictTest, B3MatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;
  cfg.backbone = "timm_tf_efficientnet_b3_ns";
  ExpectSameKeys(cfg, "mdetr_efficientnetB3.tsv");
}

TEST(EfficientNetStateDictTest, B5MatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;
  cfg.backbone = "timm_tf_efficientnet_b5_ns";
  ExpectSameKeys(cfg, "mdetr_efficientnetB5.tsv");
}

TEST(EfficientNetStateDictTest, B5GqaMatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;
  cfg.backbone = "timm_tf_efficientnet_b5_ns";
  cfg.qa_dataset = "gqa";
  cfg.contrastive_align_loss = false;
  ExpectSameKeys(cfg, "mdetr_efficientnetB5_gqa.tsv");
}

TEST(EfficientNetStateDictTest, B3PhraseCutBackboneKeys) {
  // The PhraseCut model wraps the detector as `detr.`; its backbone is the same B3.
  config::ModelConfig cfg;
  cfg.backbone = "timm_tf_efficientnet_b3_ns";
  ExpectSameKeys(cfg, "mdetr_efficientnetB3_phrasecut.tsv", "backbone.", "detr.");
}

TEST(EfficientNetStateDictTest, PresetsBuildTheReleasedArchitectures) {
  for (const auto& [preset, tsv] : std::vector<std::pair<std::string, std::string>>{
           {"configs/models/effnet_b3.yaml", "mdetr_efficientnetB3.tsv"},
           {"configs/models/effnet_b5.yaml", "mdetr_efficientnetB5.tsv"}}) {
    auto cfg = config::LoadExperiment(preset);
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    ExpectSameKeys(cfg->model, tsv);
  }
}

}  // namespace
}  // namespace mdetr::model
