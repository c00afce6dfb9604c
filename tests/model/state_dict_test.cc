// State-dict names of the C++ model against the reference's key lists of the released models
// (../shared/reference/mdetr-keys/*.tsv), and loading reports.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "tests/model/key_list.h"

namespace mdetr::model {
namespace {

using testing::ReadKeyList;

void ExpectSameKeys(const config::ModelConfig& cfg, const std::string& tsv) {
  Mdetr model(cfg);
  auto ours = NamedStateDict(*model);
  auto ref = ReadKeyList("../shared/reference/mdetr-keys/" + tsv);
  ASSERT_GT(ref.size(), 100u) << tsv;
  for (const auto& [name, dims] : ref) {
    if (name.find("position_ids") != std::string::npos) continue;  // recomputed, not stored
    auto it = ours.find(name);
    if (it == ours.end()) {
      ADD_FAILURE() << tsv << ": the model has no " << name;
      continue;
    }
    EXPECT_EQ(it->second.sizes().vec(), dims) << name;
  }
  for (const auto& [name, t] : ours) EXPECT_TRUE(ref.count(name)) << tsv << ": extra key " << name;
}

TEST(StateDictTest, ResNet101MatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;  // defaults = the reference's R101 model
  ExpectSameKeys(cfg, "mdetr_resnet101.tsv");
}

TEST(StateDictTest, Gqa101MatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;
  cfg.qa_dataset = "gqa";
  cfg.contrastive_align_loss = false;
  ExpectSameKeys(cfg, "mdetr_resnet101_gqa.tsv");
}

TEST(StateDictTest, ClevrMatchesTheReleasedCheckpointKeys) {
  config::ModelConfig cfg;
  cfg.backbone = "resnet18";
  cfg.text_encoder.type = "distilroberta-base";
  cfg.text_encoder.num_layers = 6;
  cfg.num_queries = 25;
  cfg.qa_dataset = "clevr";  // the CLEVR models keep the alignment projections
  ExpectSameKeys(cfg, "mdetr_clevr.tsv");
}

TEST(StateDictTest, StrictLoadNamesEveryProblem) {
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
  ASSERT_TRUE(cfg.ok());
  Mdetr model(cfg->model);
  auto sd = NamedStateDict(*model);
  StateDict file;
  for (const auto& [k, v] : sd) file[k] = v.clone();
  file.erase("class_embed.bias");
  file["bogus.weight"] = torch::zeros({2});
  file["query_embed.weight"] = torch::zeros({3, 3});
  file["transformer.text_encoder.embeddings.position_ids"] = torch::arange(514).unsqueeze(0);
  auto r = LoadStateDict(*model, file);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("1 missing (class_embed.bias)"), std::string::npos) << m;
  EXPECT_NE(m.find("1 unexpected (bogus.weight)"), std::string::npos) << m;
  EXPECT_NE(m.find("query_embed.weight: file [3, 3] vs model [16, 64]"), std::string::npos) << m;

  LoadOptions lenient;
  lenient.strict = false;
  auto r2 = LoadStateDict(*model, file, lenient);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->ignored, std::vector<std::string>{"transformer.text_encoder.embeddings.position_ids"});
  EXPECT_EQ(r2->loaded, sd.size() - 2);
}

}  // namespace
}  // namespace mdetr::model
