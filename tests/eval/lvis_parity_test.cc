// LVIS AP against MDETR's LvisEvaluatorFixedAP on the real LVIS val subset
// (../shared/data/lvis/lvis_val_100.json) and seeded detections of two ranks
// (tests/data/eval/lvis.txt): fixed AP with the reference's 10,000 per category, with a cap of 5
// that bites, and the standard 300-per-image protocol.
#include <map>

#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/lvis_evaluator.h"
#include "tests/eval/golden_text.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

constexpr double kTolerance = 1e-4;

struct RankDetections {
  std::vector<int64_t> order;  // images in update order
  std::map<int64_t, std::vector<Detection>> by_image;
};

std::array<RankDetections, 2> Load(const std::vector<golden::Row>& rows) {
  std::array<RankDetections, 2> ranks;
  for (const golden::Row* r : golden::Select(rows, {"det"})) {
    RankDetections& rank = ranks[r->Int(1)];
    const int64_t image = r->Int(2);
    if (rank.by_image.count(image) == 0) rank.order.push_back(image);
    Detection d;
    d.category_id = static_cast<int32_t>(r->Int(3));
    d.box = {r->Num(4), r->Num(5), r->Num(6), r->Num(7)};
    d.score = r->Num(8);
    rank.by_image[image].push_back(d);
  }
  return ranks;
}

std::vector<double> AsVector(const LvisSummary& s) {
  return {s.ap, s.ap50, s.ap75, s.aps, s.apm, s.apl, s.apr, s.apc, s.apf, s.ar, s.ars, s.arm, s.arl};
}

TEST(LvisParityTest, FixedAndStandardApMatchTheReference) {
  auto gt = annotations::ReadCocoJson(testing::SharedDataDir() + "/lvis/lvis_val_100.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  const std::vector<golden::Row> rows = golden::Load("lvis.txt");
  const auto ranks = Load(rows);
  const auto cases = golden::Select(rows, {"stats"});
  ASSERT_EQ(cases.size(), 3u);
  static const char* kNames[13] = {"AP",  "AP50", "AP75", "APs", "APm", "APl", "APr",
                                   "APc", "APf",  "AR",   "ARs", "ARm", "ARl"};
  for (const golden::Row* expected : cases) {
    LvisEvalOptions options;
    options.limit = expected->fields[1] == "standard" ? LvisLimit::kStandard : LvisLimit::kFixedAp;
    if (options.limit == LvisLimit::kFixedAp)
      options.top_k_per_category = static_cast<int32_t>(expected->Int(2));
    std::vector<LvisEvaluator> evaluators;
    for (int r = 0; r < 2; ++r) {
      auto e = LvisEvaluator::Create(*gt, options);
      ASSERT_TRUE(e.ok()) << e.status();
      for (int64_t image : ranks[r].order) ASSERT_TRUE(e->AddImage(image, ranks[r].by_image.at(image)).ok());
      evaluators.push_back(std::move(e).value());
    }
    // Rank 1 sends its state to rank 0, which summarises.
    ASSERT_TRUE(evaluators[0].MergeState(evaluators[1].SerializeState()).ok());
    const std::vector<double> got = AsVector(evaluators[0].Summarize());
    const std::vector<double> want = expected->Nums(3);
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], want[i], kTolerance)
          << expected->fields[1] << "/" << expected->fields[2] << " " << kNames[i];
    }
  }
}

TEST(LvisEvaluatorTest, NoDetectionsScoresZeroWhereThereIsGroundTruth) {
  auto gt = annotations::ReadCocoJson(testing::SharedDataDir() + "/lvis/lvis_val_100.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  auto e = LvisEvaluator::Create(*gt);
  ASSERT_TRUE(e.ok()) << e.status();
  const LvisSummary s = e->Summarize();
  EXPECT_EQ(s.ap, 0.0);
  EXPECT_EQ(s.ar, 0.0);
  EXPECT_EQ(s.num_detections, 0u);
}

TEST(LvisEvaluatorTest, RejectsFilesWithoutFrequenciesAndUnknownImages) {
  auto coco = annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/coco_synthetic_gt.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  auto bad = LvisEvaluator::Create(*coco);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("frequency"), std::string::npos) << bad.status();

  auto gt = annotations::ReadCocoJson(testing::SharedDataDir() + "/lvis/lvis_val_100.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  auto e = LvisEvaluator::Create(*gt);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->AddImage(-5, {}).code(), StatusCode::kInvalidArgument);
  const std::string truncated = e->SerializeState().substr(0, 6);
  EXPECT_EQ(e->MergeState(truncated).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mdetr::eval
