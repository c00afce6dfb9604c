#include "common/config/document.h"

#include <gtest/gtest.h>

#include "tests/common/config_test_util.h"

namespace mdetr::config {
namespace {

TEST(DocumentTest, LocatesValuesByFileLineAndColumn) {
  const std::string dir = testing::MakeTempDir("doc");
  const std::string path = WriteConfig(dir, "a.yaml", "model:\n  hidden_dim: 256\n  backbone: resnet18\n");
  auto doc = Document::Load(path);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const YAML::Node v = doc->root()["model"]["backbone"];
  const SourceLocation loc = doc->Locate(v, "model.backbone");
  EXPECT_EQ(loc.ToString(), path + ":3:13");
}

TEST(DocumentTest, InvalidYamlNamesFileAndPosition) {
  const std::string dir = testing::MakeTempDir("doc");
  const std::string path = WriteConfig(dir, "bad.yaml", "model:\n  hidden_dim: [256\n");
  auto doc = Document::Load(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find(path + ":"), std::string::npos) << doc.status();
  EXPECT_NE(doc.status().message().find("invalid YAML"), std::string::npos);
}

TEST(DocumentTest, MissingFileIsNotFound) {
  auto doc = Document::Load("/nonexistent/x.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
  EXPECT_NE(doc.status().message().find("/nonexistent/x.yaml"), std::string::npos);
}

TEST(DocumentTest, TopLevelMustBeAMapping) {
  auto doc = Document::Parse("- 1\n- 2\n", "list.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "list.yaml:1:1: expected a mapping of keys to values at the top level");
}

TEST(DocumentTest, ExtendsMergesDeeplyAndKeepsOriginOfEachValue) {
  const std::string dir = testing::MakeTempDir("doc");
  WriteConfig(dir, "base.yaml", "model:\n  hidden_dim: 256\n  nheads: 8\noptim:\n  lr: 0.0001\n");
  const std::string child = WriteConfig(dir, "child.yaml", "extends: base.yaml\nmodel:\n  nheads: 4\n");
  auto doc = Document::Load(child);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->root()["model"]["hidden_dim"].as<int>(), 256);
  EXPECT_EQ(doc->root()["model"]["nheads"].as<int>(), 4);
  EXPECT_EQ(doc->root()["optim"]["lr"].as<double>(), 1e-4);
  EXPECT_FALSE(doc->root()["extends"]);
  EXPECT_EQ(doc->Locate(doc->root()["model"]["hidden_dim"], "model.hidden_dim").ToString(),
            dir + "/base.yaml:2:15");
  EXPECT_EQ(doc->Locate(doc->root()["model"]["nheads"], "model.nheads").ToString(), child + ":3:11");
}

TEST(DocumentTest, ExtendsCycleIsAnError) {
  const std::string dir = testing::MakeTempDir("doc");
  WriteConfig(dir, "a.yaml", "extends: b.yaml\n");
  WriteConfig(dir, "b.yaml", "extends: a.yaml\n");
  auto doc = Document::Load(dir + "/a.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("cycle"), std::string::npos) << doc.status();
}

TEST(DocumentTest, OverridesSetTypedValuesAndCreateMappings) {
  auto doc = Document::Parse("optim:\n  lr: 0.0001\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->ApplyOverrides({"optim.lr=2e-4", "run.seed=7", "data.scales=[480, 512]"}).ok());
  EXPECT_EQ(doc->root()["optim"]["lr"].as<double>(), 2e-4);
  EXPECT_EQ(doc->root()["run"]["seed"].as<int>(), 7);
  EXPECT_EQ(doc->root()["data"]["scales"].size(), 2u);
  EXPECT_EQ(doc->Locate(doc->root()["run"]["seed"], "run.seed").ToString(), "--set run.seed=7");
}

TEST(DocumentTest, MalformedOverrideIsRejected) {
  auto doc = Document::Parse("optim:\n  lr: 1\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->ApplyOverride("optim.lr").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc->ApplyOverride("=3").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc->ApplyOverride("optim..lr=3").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(doc->ApplyOverride("optim.lr.x=3").message(), "--set optim.lr.x=3: 'lr' is not a mapping");
}

}  // namespace
}  // namespace mdetr::config

namespace mdetr::config {
namespace {

TEST(DocumentTest, OverridesIndexIntoListsAndErrorsPointAtThem) {
  auto doc = Document::Parse("data:\n  train:\n    - name: synthetic\n      ann_file: a.json\n", "x.yaml");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->ApplyOverride("data.train.0.ann_file=b.json").ok());
  EXPECT_EQ(doc->root()["data"]["train"][0]["ann_file"].as<std::string>(), "b.json");
  EXPECT_EQ(doc->ApplyOverride("data.train.3.ann_file=c.json").message(),
            "--set data.train.3.ann_file=c.json: '3' is not an index of a list of 1");
  const YAML::Node v = doc->root()["data"]["train"][0]["ann_file"];
  EXPECT_EQ(doc->Locate(v, "data.train[0].ann_file").ToString(), "--set data.train.0.ann_file=b.json");
}

}  // namespace
}  // namespace mdetr::config
