// RefCOCO/+/g and CLEVR-Ref+ precision@1/5/10 against MDETR's RefExpEvaluator and
// ClevrRefEvaluator (tests/data/eval/refexp.txt); ties in score are broken by the boxes, as the
// reference's sorted() does, and the match criterion is GIoU >= 0.5 in float32.
#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/refexp_evaluator.h"
#include "tests/eval/golden_text.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

void AddPredictions(const std::vector<golden::Row>& rows, const std::string& protocol, RefExpEvaluator* e0,
                    RefExpEvaluator* e1) {
  int k = 0;
  for (const golden::Row* r : golden::Select(rows, {"pred", protocol})) {
    std::vector<float> scores;
    std::vector<BoxXyxyF> boxes;
    for (size_t i = 3; i + 4 < r->fields.size(); i += 5) {
      scores.push_back(static_cast<float>(r->Num(i)));
      boxes.push_back({static_cast<float>(r->Num(i + 1)), static_cast<float>(r->Num(i + 2)),
                       static_cast<float>(r->Num(i + 3)), static_cast<float>(r->Num(i + 4))});
    }
    ASSERT_TRUE(((k++ % 2) ? e1 : e0)->AddImage(r->Int(2), scores, boxes).ok());
  }
}

class RefExpParityTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RefExpParityTest, PrecisionAtKMatchesTheReference) {
  const std::string protocol = GetParam();
  const std::vector<golden::Row> rows = golden::Load("refexp.txt");
  auto gt = annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/" + protocol + "_gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  const RefExpProtocol p = protocol == "refcoco" ? RefExpProtocol::kRefCoco : RefExpProtocol::kClevrRef;
  RefExpEvaluator rank0(*gt, p), rank1(*gt, p);
  AddPredictions(rows, protocol, &rank0, &rank1);
  ASSERT_TRUE(rank0.MergeState(rank1.SerializeState()).ok());
  auto result = rank0.Summarize();
  ASSERT_TRUE(result.ok()) << result.status();
  const auto expected = golden::Select(rows, {"result", protocol});
  ASSERT_EQ(expected.size(), result->size());
  for (const golden::Row* want : expected) {
    const std::string group = want->fields[2];
    ASSERT_EQ(result->count(group), 1u) << group;
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_DOUBLE_EQ(result->at(group).precision[k], want->Num(3 + k))
          << group << " P@" << RefExpEvaluator::kTopK[k];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, RefExpParityTest, ::testing::Values("refcoco", "clevrref"));

TEST(RefExpEvaluatorTest, MissingPredictionsAndBadBoxesAreReported) {
  auto gt = annotations::ReadCocoJson(testing::SourceDir() + "/tests/data/eval/refcoco_gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  RefExpEvaluator e(*gt);
  auto missing = e.Summarize();
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("no prediction"), std::string::npos) << missing.status();
  EXPECT_EQ(e.AddImage(gt->images()[0].id, {0.5f}, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.AddImage(-1, {0.5f}, {{0, 0, 1, 1}}).code(), StatusCode::kInvalidArgument);
  for (const auto& im : gt->images()) ASSERT_TRUE(e.AddImage(im.id, {0.5f}, {{10, 10, 5, 20}}).ok());
  EXPECT_EQ(e.Summarize().status().code(), StatusCode::kInvalidArgument);  // x1 < x0
}

TEST(GeneralizedBoxIouTest, IdenticalDisjointAndNestedBoxes) {
  EXPECT_FLOAT_EQ(GeneralizedBoxIou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  // Disjoint: IoU 0, hull 20 x 10, union 2 x 25 -> -(200 - 50) / 200.
  EXPECT_FLOAT_EQ(GeneralizedBoxIou({0, 0, 5, 5}, {15, 5, 20, 10}), -0.75f);
  // Nested: the hull is the outer box, so GIoU equals IoU.
  EXPECT_FLOAT_EQ(GeneralizedBoxIou({0, 0, 10, 10}, {0, 0, 5, 10}), 0.5f);
}

}  // namespace
}  // namespace mdetr::eval
