#include "common/config/experiment.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/common/config_test_util.h"

namespace mdetr::config {
namespace {

TEST(ExperimentConfigTest, DefaultsAreTheReferenceArguments) {
  auto doc = Document::Parse("{}", "empty.yaml");
  ASSERT_TRUE(doc.ok());
  auto cfg = ParseExperiment(*doc);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->model.backbone, "resnet101");
  EXPECT_EQ(cfg->model.hidden_dim, 256);
  EXPECT_EQ(cfg->model.num_queries, 100);
  EXPECT_EQ(cfg->model.text_encoder.num_layers, 12);
  EXPECT_DOUBLE_EQ(cfg->optim.lr, 1e-4);
  EXPECT_DOUBLE_EQ(cfg->optim.lr_backbone, 1e-5);
  EXPECT_DOUBLE_EQ(cfg->optim.text_encoder_lr, 5e-5);
  EXPECT_DOUBLE_EQ(cfg->optim.clip_max_norm, 0.1);
  EXPECT_DOUBLE_EQ(cfg->optim.ema_decay, 0.9998);
  EXPECT_DOUBLE_EQ(cfg->loss.eos_coef, 0.1);
  EXPECT_DOUBLE_EQ(cfg->loss.temperature_nce, 0.07);
  EXPECT_EQ(cfg->run.seed, 42);
}

TEST(ExperimentConfigTest, TextEncoderPresetsFixTheShape) {
  auto doc = Document::Parse("model:\n  text_encoder:\n    type: distilroberta-base\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  auto cfg = ParseExperiment(*doc);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->model.text_encoder.num_layers, 6);

  auto bad = Document::Parse("model:\n  text_encoder:\n    type: roberta-base\n    num_layers: 2\n", "x.yaml");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(ParseExperiment(*bad).status().message(),
            "x.yaml:4:17: model.text_encoder.num_layers: only settable when type is 'custom' (the named presets fix it)");
}

TEST(ExperimentConfigTest, DatasetEntriesNeedTheirRequiredFields) {
  const std::string dir = testing::MakeTempDir("exp");
  const std::string path = WriteConfig(dir, "task.yaml",
                                       "data:\n"
                                       "  train:\n"
                                       "    - name: synthetic\n"
                                       "      images: imgs\n");
  auto cfg = LoadExperiment(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(), path + ":3:7: data.train[0].ann_file: missing required key (string)");
}

TEST(ExperimentConfigTest, AdamIsAnAliasOfAdamW) {
  auto doc = Document::Parse("optim:\n  optimizer: adam\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  auto cfg = ParseExperiment(*doc);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->optim.optimizer, "adamw");
}

TEST(ExperimentConfigTest, ConsistencyChecksNameTheKey) {
  auto doc = Document::Parse("model:\n  hidden_dim: 250\n  nheads: 8\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(ParseExperiment(*doc).status().message(),
            "x.yaml:3:11: model.nheads: hidden_dim must be a positive multiple of nheads");
}

TEST(ExperimentConfigTest, BatchStatisticsNormsAreForResNetsOnly) {
  auto ok = Document::Parse("model:\n  backbone: resnet18\n  backbone_norm: batch\n", "x.yaml");
  ASSERT_TRUE(ok.ok());
  auto cfg = ParseExperiment(*ok);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->model.backbone_norm, "batch");
  auto effnet =
      Document::Parse("model:\n  backbone: timm_tf_efficientnet_b3_ns\n  backbone_norm: batch\n", "x.yaml");
  ASSERT_TRUE(effnet.ok());
  const std::string message = ParseExperiment(*effnet).status().message();
  EXPECT_NE(message.find("model.backbone_norm: batch is for the ResNet backbones"), std::string::npos) << message;
  auto typo = Document::Parse("model:\n  backbone_norm: group\n", "x.yaml");
  ASSERT_TRUE(typo.ok());
  EXPECT_NE(ParseExperiment(*typo).status().message().find("model.backbone_norm"), std::string::npos);
}

// Every YAML shipped in configs/ must parse: a recipe that rots is a bug users hit first.
TEST(ExperimentConfigTest, EveryShippedConfigParses) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(testing::SourceDir() + "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    if (entry.path().parent_path().filename() == "sweeps") continue;  // sweep files have their own schema
    auto cfg = LoadExperiment(entry.path().string());
    EXPECT_TRUE(cfg.ok()) << entry.path() << ": " << cfg.status();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace mdetr::config
