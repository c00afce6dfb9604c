// Flickr30k Entities Recall@1/5/10/upper, any-box and merged-box protocols, per phrase type, against
// the numbers the reference's Flickr30kEntitiesRecallEvaluator (datasets/flickr_eval.py) gives for
// the same predictions on the real sentence files of ../shared/data and the annotation files of
// tests/data/flickr. Goldens: tools/parity/eval/make_flickr_goldens.py.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/eval/flickr_recall.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

using nlohmann::json;

json LoadGoldens() {
  std::ifstream in(testing::SourceDir() + "/tests/data/flickr/recall_goldens.json");
  return in ? json::parse(in) : json();
}

// Our summary key for the reference's (k, category).
std::string Key(const std::string& k, const std::string& category) {
  std::string name = k == "-1" ? "Upper" : "R@" + k;
  return category == "all" ? name : name + "/" + category;
}

void CheckProtocol(const json& goldens, bool merge_boxes) {
  FlickrRecall recall(merge_boxes);
  for (const auto& pred : goldens["predictions"]) {
    const std::string id = pred["image_id"].get<std::string>();
    auto sentences = annotations::ReadFlickrSentences(testing::SharedDataDir() + "/flickr30k_entities/sentences/" +
                                                      id + ".txt");
    ASSERT_TRUE(sentences.ok()) << sentences.status();
    auto image = annotations::ReadFlickrAnnotationXml(testing::SourceDir() + "/tests/data/flickr/Annotations/" + id +
                                                      ".xml");
    ASSERT_TRUE(image.ok()) << image.status();
    const auto sentence_id = pred["sentence_id"].get<size_t>();
    ASSERT_LT(sentence_id, sentences->size());
    std::vector<std::vector<BoxXyxy>> ranked;
    for (const auto& phrase : pred["boxes"]) {
      ranked.emplace_back();
      for (const auto& b : phrase) ranked.back().push_back({b[0], b[1], b[2], b[3]});
    }
    const auto st = recall.AddSentence(id + " sentence " + std::to_string(sentence_id), (*sentences)[sentence_id],
                                       *image, ranked);
    ASSERT_TRUE(st.ok()) << st;
  }
  const auto summary = recall.recall().Summary();
  const json& want = goldens["recall"][merge_boxes ? "merged" : "any_box"];
  size_t compared = 0;
  for (const auto& [k, per_category] : want.items()) {
    for (const auto& [category, value] : per_category.items()) {
      const auto key = Key(k, category);
      ASSERT_TRUE(summary.count(key)) << "no " << key << " in our summary";
      EXPECT_NEAR(summary.at(key), value.get<double>(), 1e-12) << key;
      ++compared;
    }
  }
  EXPECT_EQ(compared, summary.size()) << "our summary has categories the reference does not report";
}

TEST(FlickrRecallParityTest, AnyBoxMatchesReference) {
  const json goldens = LoadGoldens();
  ASSERT_TRUE(goldens.contains("predictions")) << "missing tests/data/flickr/recall_goldens.json";
  CheckProtocol(goldens, false);
}

TEST(FlickrRecallParityTest, MergedBoxMatchesReference) {
  const json goldens = LoadGoldens();
  ASSERT_TRUE(goldens.contains("predictions")) << "missing tests/data/flickr/recall_goldens.json";
  CheckProtocol(goldens, true);
}

TEST(FlickrRecallParityTest, WrongNumberOfPhrasesIsAnErrorNamingTheSentence) {
  auto sentences = annotations::ReadFlickrSentences(testing::SharedDataDir() +
                                                    "/flickr30k_entities/sentences/4945942737.txt");
  ASSERT_TRUE(sentences.ok()) << sentences.status();
  auto image = annotations::ReadFlickrAnnotationXml(testing::SourceDir() + "/tests/data/flickr/Annotations/4945942737.xml");
  ASSERT_TRUE(image.ok()) << image.status();
  FlickrRecall recall(false);
  const auto st = recall.AddSentence("4945942737 sentence 0", (*sentences)[0], *image, {{{0, 0, 10, 10}}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("4945942737 sentence 0"), std::string::npos) << st;
  EXPECT_EQ(recall.recall().phrases(), 0);
}

}  // namespace
}  // namespace mdetr::eval
