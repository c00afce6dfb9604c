// COCO box AP against pycocotools' COCOeval on the same detections (tests/data/eval/coco.txt):
// synthetic ground truth with crowd regions and images without ground truth, the real LVIS val
// subset read as COCO, and the real COCO image 39769; per category and class-agnostic; all images,
// a subset of them, and no detections at all.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/coco_evaluator.h"
#include "tests/eval/golden_text.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

constexpr double kTolerance = 1e-4;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The ground truth of each golden set, read by our reader as a user would.
Result<annotations::CocoDataset> GroundTruth(const std::string& set, const std::vector<golden::Row>& rows) {
  if (set == "synthetic")
    return annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/coco_synthetic_gt.json");
  if (set == "lvis") return annotations::ReadCocoJson(testing::SharedDataDir() + "/lvis/lvis_val_100.json");
  // COCO image 39769: the shared file holds only its annotation list.
  std::string categories;
  for (const golden::Row* r : golden::Select(rows, {"cats_39769"})) {
    for (size_t i = 1; i < r->fields.size(); ++i) {
      categories +=
          (categories.empty() ? "" : ",") + std::string("{\"id\":") + r->fields[i] + ",\"name\":\"c\"}";
    }
  }
  const std::string json =
      "{\"images\":[{\"id\":39769,\"width\":640,\"height\":480,\"file_name\":\"a.png\"}],"
      "\"annotations\":" +
      ReadAll(testing::SharedDataDir() + "/coco/coco_annotations_000000039769.txt") + ",\"categories\":[" +
      categories + "]}";
  return annotations::ParseCocoJson(json, "coco_annotations_000000039769.txt");
}

std::map<int64_t, std::vector<Detection>> DetectionsOf(const std::vector<golden::Row>& rows,
                                                       const std::string& set) {
  std::map<int64_t, std::vector<Detection>> out;
  for (const golden::Row* r : golden::Select(rows, {"det", set})) {
    Detection d;
    d.category_id = static_cast<int32_t>(r->Int(3));
    d.box = {r->Num(4), r->Num(5), r->Num(6), r->Num(7)};
    d.score = r->Num(8);
    out[r->Int(2)].push_back(d);
  }
  return out;
}

void ExpectStats(const CocoSummary& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(want.size(), 12u) << what;
  static const char* kNames[12] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                   "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(got.stats[i], want[i], kTolerance) << what << " " << kNames[i];
}

class CocoParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CocoParityTest, StatsMatchPycocotools) {
  const std::vector<golden::Row> rows = golden::Load("coco.txt");
  const std::string set = GetParam();
  auto gt = GroundTruth(set, rows);
  ASSERT_TRUE(gt.ok()) << gt.status();
  const auto detections = DetectionsOf(rows, set);
  const auto stats_rows = golden::Select(rows, {"stats", set});
  ASSERT_FALSE(stats_rows.empty());
  for (const golden::Row* expected : stats_rows) {
    const std::string kase = expected->fields[2];
    const bool use_cats = expected->Int(3) != 0;
    const auto images = golden::Select(rows, {"images", set, kase});
    ASSERT_EQ(images.size(), 1u);
    CocoBoxEvaluator evaluator(*gt, {use_cats});
    for (size_t i = 3; i < images[0]->fields.size(); ++i) {
      const int64_t id = std::stoll(images[0]->fields[i]);
      auto it = detections.find(id);
      const std::vector<Detection> none;
      const bool with = kase != "nodets" && it != detections.end();
      ASSERT_TRUE(evaluator.AddImage(id, with ? it->second : none).ok());
    }
    ExpectStats(evaluator.Summarize(), expected->Nums(4),
                set + "/" + kase + (use_cats ? "/per-category" : "/agnostic"));
  }
}

INSTANTIATE_TEST_SUITE_P(Sets, CocoParityTest, ::testing::Values("synthetic", "lvis", "39769"));

// Two ranks each evaluate half of the images (one of them twice); the merged state summarises to
// the single-process figures.
TEST(CocoMergeTest, MergedRanksEqualOneProcess) {
  const std::vector<golden::Row> rows = golden::Load("coco.txt");
  auto gt = GroundTruth("synthetic", rows);
  ASSERT_TRUE(gt.ok()) << gt.status();
  const auto detections = DetectionsOf(rows, "synthetic");
  CocoBoxEvaluator rank0(*gt), rank1(*gt);
  int k = 0;
  for (const auto& im : gt->images()) {
    auto it = detections.find(im.id);
    const std::vector<Detection> dets = it == detections.end() ? std::vector<Detection>{} : it->second;
    ASSERT_TRUE(((k++ % 2) ? rank1 : rank0).AddImage(im.id, dets).ok());
  }
  // The sampler pads the last batch by repeating an image: the duplicate must not count twice.
  ASSERT_TRUE(rank1.AddImage(gt->images()[0].id, detections.begin()->second).ok());
  ASSERT_TRUE(rank0.MergeState(rank1.SerializeState()).ok());
  EXPECT_EQ(rank0.num_images(), gt->images().size());
  const auto expected = golden::Select(rows, {"stats", "synthetic", "all", "1"});
  ASSERT_EQ(expected.size(), 1u);
  ExpectStats(rank0.Summarize(), expected[0]->Nums(4), "merged");
}

TEST(CocoEvaluatorErrorsTest, RejectsUnknownImagesAndBadNumbers) {
  auto gt = annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/coco_synthetic_gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  CocoBoxEvaluator evaluator(*gt);
  const Status unknown = evaluator.AddImage(424242, {});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("424242"), std::string::npos) << unknown;
  Detection nan;
  nan.score = std::nan("");
  EXPECT_EQ(evaluator.AddImage(gt->images()[0].id, {nan}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(evaluator.num_images(), 0u);
}

TEST(CocoEvaluatorErrorsTest, RejectsCorruptOrForeignStates) {
  auto gt = annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/coco_synthetic_gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  CocoBoxEvaluator a(*gt), agnostic(*gt, {false});
  Detection d;
  d.box = {10, 10, 50, 50};
  d.score = 0.9;
  ASSERT_TRUE(a.AddImage(gt->images()[0].id, {d}).ok());
  const std::string state = a.SerializeState();
  for (size_t cut : {size_t{0}, size_t{3}, state.size() / 2, state.size() - 1}) {
    const Status s = agnostic.MergeState(state.substr(0, cut));
    EXPECT_FALSE(s.ok()) << "cut at " << cut;
  }
  EXPECT_EQ(agnostic.MergeState(state).code(), StatusCode::kInvalidArgument);  // other options
  CocoBoxEvaluator b(*gt);
  std::string flipped = state;
  flipped[0] ^= 0x5a;
  EXPECT_EQ(b.MergeState(flipped).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(b.MergeState(state).ok());
  EXPECT_EQ(b.num_images(), 1u);
}

}  // namespace
}  // namespace mdetr::eval
