// How several validation sets are named in the metrics, and how CLEVR questions are labelled by
// family and kind from the fields a user adds to MDETR's CLEVR files (the real template files of
// ../shared/data/clevr, programs written as CLEVR's questions files write them).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"
#include "worker/trainer/evaluation.h"

namespace mdetr::trainer {
namespace {

using nlohmann::json;

config::DatasetConfig Val(const std::string& ann_file) {
  config::DatasetConfig d;
  d.name = "refcoco";
  d.ann_file = ann_file;
  return d;
}

TEST(ValidationPrefixesTest, TheFirstSetKeepsPlainNamesTheOthersTheirFileStemMadeUnique) {
  const auto p = ValidationPrefixes({Val("/a/finetune_refcoco_val.json"), Val("/a/finetune_refcoco_testA.json"),
                                     Val("/b/finetune_refcoco_testA.json"), Val("/a/finetune_refcoco_testB.json")});
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], "");
  EXPECT_EQ(p[1], "finetune_refcoco_testA/");
  EXPECT_EQ(p[2], "finetune_refcoco_testA#2/");
  EXPECT_EQ(p[3], "finetune_refcoco_testB/");
  EXPECT_TRUE(ValidationPrefixes({}).empty());
}

class ClevrQuestionGroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("clevr-groups");
    std::filesystem::create_directory_symlink(testing::SharedDataDir() + "/clevr", dir_ + "/CLEVR_1.0_templates");
  }
  std::string Write(const json& images) {
    const std::string path = dir_ + "/clevr_val.json";
    std::ofstream(path) << json{{"images", images}, {"annotations", json::array()}}.dump();
    return path;
  }
  std::string dir_;
};

TEST_F(ClevrQuestionGroupsTest, TheGeneratorsFieldsNameTheFamilyAndItsKind) {
  // zero_hop.json's templates 0..5: count, exist, then the four query_<attribute> ones.
  const auto groups = ClevrQuestionGroups::Read(Write(json::array({
      {{"id", 7}, {"template_filename", "zero_hop.json"}, {"question_family_index", 0}, {"caption", "x"}},
      {{"id", 8}, {"template_filename", "zero_hop.json"}, {"question_family_index", 1},
       {"tokens_positive_eval", json::array({json::array({json::array({0, 1})})})}},
      {{"id", 9}, {"question_family_index", 3}, {"template_filename", "zero_hop.json"}},
  })));
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_TRUE(groups->has_families());
  EXPECT_EQ(groups->Of(7, 0), (std::vector<std::string>{"kind:count", "family:zero_hop/0"}));
  EXPECT_EQ(groups->Of(8, 0), (std::vector<std::string>{"kind:exist", "family:zero_hop/1"}));
  EXPECT_EQ(groups->Of(9, 0), (std::vector<std::string>{"kind:query_attribute", "family:zero_hop/3"}));
}

TEST_F(ClevrQuestionGroupsTest, WithoutFamiliesTheAnswerTypeGivesTheKind) {
  const auto groups = ClevrQuestionGroups::Read(Write(json::array({{{"id", 1}, {"answer", "yes"}}})));
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_FALSE(groups->has_families());
  EXPECT_EQ(groups->Of(1, 0), std::vector<std::string>{"kind:yes_no"});
  EXPECT_EQ(groups->Of(1, 1), std::vector<std::string>{"kind:query_attribute"});
  EXPECT_EQ(groups->Of(1, 2), std::vector<std::string>{"kind:count"});
}

// The released CLEVR questions' programs, as the questions files write them: the kind is the last
// node's function (here the programs of an exist, a compare_number and a compare_attribute
// question, the kinds the answer "yes" cannot tell apart).
TEST_F(ClevrQuestionGroupsTest, WithoutFamiliesTheProgramGivesTheKind) {
  auto node = [](const char* function, json inputs) {
    return json{{"inputs", std::move(inputs)}, {"function", function}, {"value_inputs", json::array()}};
  };
  const json exist = json::array({node("scene", json::array()), node("filter_color", {0}), node("exist", {1})});
  const json more = json::array({node("scene", json::array()), node("count", {0}), node("scene", json::array()),
                                 node("count", {2}), node("greater_than", {1, 3})});
  const json same = json::array({node("scene", json::array()), node("unique", {0}), node("query_color", {1}),
                                 node("scene", json::array()), node("unique", {3}), node("query_color", {4}),
                                 node("equal_color", {2, 5})});
  const auto groups = ClevrQuestionGroups::Read(Write(json::array({
      {{"id", 1}, {"answer", "yes"}, {"program", exist}},
      {{"id", 2}, {"answer", "yes"}, {"program", more}},
      {{"id", 3}, {"program", same}, {"answer", "yes"}},
  })));
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_FALSE(groups->has_families());
  EXPECT_EQ(groups->Of(1, 0), std::vector<std::string>{"kind:exist"});
  EXPECT_EQ(groups->Of(2, 0), std::vector<std::string>{"kind:compare_number"});
  EXPECT_EQ(groups->Of(3, 0), std::vector<std::string>{"kind:compare_attribute"});

  const auto bad = ClevrQuestionGroups::Read(
      Write(json::array({{{"id", 1}, {"program", json::array({node("scene", json::array())})}}})));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("images[0].program"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("\"scene\""), std::string::npos) << bad.status().message();
  const auto mixed = ClevrQuestionGroups::Read(Write(json::array({{{"id", 1}, {"program", exist}}, {{"id", 2}}})));
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("images[1]: no program"), std::string::npos) << mixed.status().message();
}

TEST_F(ClevrQuestionGroupsTest, BadFamilyFieldsAreNamedWithTheirRecord) {
  struct Case {
    json images;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {json::array({{{"id", 1}, {"question_family_index", "two"}}}), "images[0].question_family_index: expected an integer"},
      {json::array({{{"id", 1}, {"template_filename", 3}}}), "images[0].template_filename: expected a string"},
      {json::array({{{"id", 1}, {"program", "count"}}}), "images[0].program: expected a list of program nodes"},
      {json::array({{{"id", 1}, {"question_family_index", 2}}, {{"id", 2}}}), "images[1]: no question_family_index"},
      {json::array({{{"id", 1}, {"template_filename", "zero_hop.json"}}}), "images[0].question_family_index: missing"},
      {json::array({{{"id", 1}, {"template_filename", "zero_hop.json"}, {"question_family_index", 6}}}),
       "images[0]: template 6 of zero_hop.json is not one of the 90 templates"},
      {json::array({{{"id", 1}, {"question_family_index", 90}}}), "images[0]: question_family_index 90 is not one"},
  };
  for (const auto& c : cases) {
    const auto groups = ClevrQuestionGroups::Read(Write(c.images));
    ASSERT_FALSE(groups.ok()) << c.images.dump();
    EXPECT_NE(groups.status().message().find(c.expected), std::string::npos) << groups.status().message();
    EXPECT_NE(groups.status().message().find("clevr_val.json"), std::string::npos) << groups.status().message();
  }
  std::ofstream(dir_ + "/broken.json") << "{\"images\": [{\"id\": 1,";
  const auto broken = ClevrQuestionGroups::Read(dir_ + "/broken.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.json"), std::string::npos) << broken.status().message();
}

}  // namespace
}  // namespace mdetr::trainer
