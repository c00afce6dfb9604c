// Readers checked on the real files in ../shared/data against numbers produced by the reference
// (tools/parity/annotations/make_annotation_goldens.py runs MDETR's own Flickr parsers).
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/annotations/flickr_entities.h"

namespace mdetr::annotations {
namespace {

nlohmann::json Goldens() {
  std::ifstream in("tests/annotations/testdata/reference_goldens.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in);
}

TEST(FlickrParityTest, SentencesMatchTheReferenceParserAndMdetrSpans) {
  const nlohmann::json goldens = Goldens()["flickr_sentences"];
  ASSERT_EQ(goldens.size(), 2u);
  for (const auto& [path, expected] : goldens.items()) {
    SCOPED_TRACE(path);
    auto sentences = ReadFlickrSentences(path);
    ASSERT_TRUE(sentences.ok()) << sentences.status();
    ASSERT_EQ(sentences->size(), expected.size());
    for (size_t s = 0; s < expected.size(); ++s) {
      const FlickrSentence& got = (*sentences)[s];
      EXPECT_EQ(got.text, expected[s]["sentence"].get<std::string>());
      ASSERT_EQ(got.phrases.size(), expected[s]["phrases"].size());
      for (size_t p = 0; p < got.phrases.size(); ++p) {
        const auto& e = expected[s]["phrases"][p];
        const FlickrPhrase& g = got.phrases[p];
        EXPECT_EQ(g.text, e["text"].get<std::string>());
        EXPECT_EQ(g.entity_id, e["entity_id"].get<std::string>());
        EXPECT_EQ(g.types, e["types"].get<std::vector<std::string>>());
        EXPECT_EQ(g.first_word_index, e["first_word_index"].get<int>());
        EXPECT_EQ(g.begin, e["begin"].get<int>());
        EXPECT_EQ(g.end, e["end"].get<int>());
        EXPECT_EQ(got.text.substr(g.begin, g.end - g.begin), g.text);
      }
    }
  }
}

TEST(FlickrParityTest, AnnotationXmlMatchesTheReferenceParser) {
  const nlohmann::json goldens = Goldens()["flickr_annotations"];
  ASSERT_EQ(goldens.size(), 1u);
  for (const auto& [path, expected] : goldens.items()) {
    auto ann = ReadFlickrAnnotationXml(path);
    ASSERT_TRUE(ann.ok()) << ann.status();
    EXPECT_EQ(ann->width, expected["width"].get<int>());
    EXPECT_EQ(ann->height, expected["height"].get<int>());
    EXPECT_EQ(ann->depth, expected["depth"].get<int>());
    ASSERT_EQ(ann->entities.size(), expected["boxes"].size());
    for (const auto& [id, boxes] : expected["boxes"].items()) {
      const FlickrEntityBoxes* e = ann->Find(id);
      ASSERT_NE(e, nullptr) << id;
      ASSERT_EQ(e->boxes.size(), boxes.size());
      for (size_t b = 0; b < boxes.size(); ++b) {
        EXPECT_EQ((std::vector<int>(e->boxes[b].begin(), e->boxes[b].end())),
                  boxes[b].get<std::vector<int>>());
      }
    }
    EXPECT_EQ(ann->nobox, expected["nobox"].get<std::vector<std::string>>());
    EXPECT_EQ(ann->scene, expected["scene"].get<std::vector<std::string>>());
  }
}

TEST(LvisParityTest, RealLvisSubsetMatchesPythonFigures) {
  const nlohmann::json g = Goldens()["lvis"];
  auto ds = ReadCocoJson(g["file"]);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->images().size(), g["images"].get<size_t>());
  EXPECT_EQ(ds->annotations().size(), g["annotations"].get<size_t>());
  EXPECT_EQ(ds->categories().size(), g["categories"].get<size_t>());
  std::map<std::string, int> freq;
  for (const auto& c : ds->categories()) ++freq[std::string(1, c.frequency)];
  for (const auto& [f, n] : g["frequency_counts"].items()) EXPECT_EQ(freq[f], n.get<int>()) << f;
  size_t neg = 0, not_exhaustive = 0;
  for (const auto& img : ds->images()) {
    neg += img.negative_category_ids.size();
    not_exhaustive += img.not_exhaustive_category_ids.size();
  }
  EXPECT_EQ(neg, g["neg_category_ids_total"].get<size_t>());
  EXPECT_EQ(not_exhaustive, g["not_exhaustive_category_ids_total"].get<size_t>());
  double bbox_sum = 0, area_sum = 0;
  size_t polygons = 0, coords = 0;
  for (const auto& a : ds->annotations()) {
    for (double v : a.bbox) bbox_sum += v;
    area_sum += a.area;
    polygons += a.polygons.size();
    for (uint32_t p = 0; p < a.polygons.size(); ++p) coords += ds->polygon_ranges(a.polygons)[p].size();
    EXPECT_NE(a.image_index, kNoImage);
  }
  EXPECT_NEAR(bbox_sum, g["bbox_sum"].get<double>(), 1e-6);
  EXPECT_NEAR(area_sum, g["area_sum"].get<double>(), 1e-4);
  EXPECT_EQ(polygons, g["polygon_count"].get<size_t>());
  EXPECT_EQ(coords, g["polygon_coord_count"].get<size_t>());
  const ImageRecord& first = ds->images()[0];
  EXPECT_EQ(first.id, g["first_image"]["id"].get<int64_t>());
  EXPECT_EQ(first.width, g["first_image"]["width"].get<int>());
  EXPECT_EQ(ds->str(first.file_name), g["first_image"]["file_name"].get<std::string>());
  EXPECT_EQ(ds->str(first.coco_url), g["first_image"]["coco_url"].get<std::string>());
  const CategoryRecord& cat = ds->categories()[0];
  EXPECT_EQ(ds->str(cat.name), g["first_category"]["name"].get<std::string>());
  EXPECT_EQ(ds->str(cat.synset), g["first_category"]["synset"].get<std::string>());
  EXPECT_EQ(std::string(1, cat.frequency), g["first_category"]["frequency"].get<std::string>());
  EXPECT_EQ(cat.image_count, g["first_category"]["image_count"].get<int>());
}

TEST(CocoRealDataTest, CocoInstanceAnnotationsOfImage39769) {
  // The shared file is the bare "annotations" list of COCO val2017 image 39769.
  std::ifstream in("../shared/data/coco/coco_annotations_000000039769.txt");
  ASSERT_TRUE(in);
  std::stringstream list;
  list << in.rdbuf();
  const std::string json = R"({"images": [{"id": 39769, "file_name": "000000039769.png", "width": 640,
      "height": 480}], "annotations": )" +
                           list.str() + "}";
  auto ds = ParseCocoJson(json, "coco_39769");
  ASSERT_TRUE(ds.ok()) << ds.status();
  const nlohmann::json raw = nlohmann::json::parse(list.str());
  ASSERT_EQ(ds->annotations().size(), raw.size());
  EXPECT_EQ(ds->AnnotationsOf(0).size(), raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto& a = ds->annotations()[i];
    EXPECT_EQ(a.id, raw[i]["id"].get<int64_t>());
    EXPECT_EQ(a.category_id, raw[i]["category_id"].get<int>());
    for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(a.bbox[k], raw[i]["bbox"][k].get<double>());
    EXPECT_DOUBLE_EQ(a.area, raw[i]["area"].get<double>());
    EXPECT_EQ(a.polygons.size(), raw[i]["segmentation"].size());
  }
}

}  // namespace
}  // namespace mdetr::annotations
