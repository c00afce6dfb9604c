// Referring-expression ranking against the reference's PostProcess + RefExpEvaluator
// (tools/parity/model/make_qa_goldens.py): the ranked boxes in original-image pixels of six images
// (two queries of image 0 with the same score), and precision@1/5/10 through our evaluator on the
// ground truth the reference scored (tests/data/model/qa/refexp_gt.json).
#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/refexp_evaluator.h"
#include "tests/inference/qa_goldens.h"
#include "worker/inference/refexp_postprocess.h"

namespace mdetr::inference {
namespace {

using testing::QaGolden;

model::MdetrOutputs DesignedOutputs() {
  model::MdetrOutputs out;
  out.pred_logits = QaGolden("refexp.out.pred_logits").unsqueeze(0);  // one decoder layer
  out.pred_boxes = QaGolden("refexp.out.pred_boxes").unsqueeze(0);
  return out;
}

int Width(int64_t b) { return static_cast<int>(QaGolden("input.orig_sizes")[b][1].item<int64_t>()); }
int Height(int64_t b) { return static_cast<int>(QaGolden("input.orig_sizes")[b][0].item<int64_t>()); }

TEST(RefExpPostprocessTest, RankedBoxesAreTheReferences) {
  const auto out = DesignedOutputs();
  for (int64_t b = 0; b < out.pred_logits.size(1); ++b) {
    auto ranking = RankRefExpBoxes(out, b, Width(b), Height(b));
    ASSERT_TRUE(ranking.ok()) << ranking.status();
    const auto scores = QaGolden("refexp." + std::to_string(b) + ".scores");
    const auto boxes = QaGolden("refexp." + std::to_string(b) + ".boxes");
    ASSERT_EQ(static_cast<int64_t>(ranking->boxes.size()), scores.size(0));
    for (size_t r = 0; r < ranking->boxes.size(); ++r) {
      const auto& ours = ranking->boxes[r];
      const auto i = static_cast<int64_t>(r);
      EXPECT_EQ(ours.score, scores[i].item<float>()) << "image " << b << " rank " << r;
      EXPECT_EQ(ours.box.x0, boxes[i][0].item<float>()) << "image " << b << " rank " << r;
      EXPECT_EQ(ours.box.y0, boxes[i][1].item<float>()) << "image " << b << " rank " << r;
      EXPECT_EQ(ours.box.x1, boxes[i][2].item<float>()) << "image " << b << " rank " << r;
      EXPECT_EQ(ours.box.y1, boxes[i][3].item<float>()) << "image " << b << " rank " << r;
    }
  }
  // Image 0's queries 3 and 5 tie on score; the reference orders them by box.
  auto ranking = RankRefExpBoxes(out, 0, Width(0), Height(0));
  std::vector<RankedBox> tied;
  for (const auto& r : ranking->boxes) {
    if (r.query == 3 || r.query == 5) tied.push_back(r);
  }
  ASSERT_EQ(tied.size(), 2u);
  EXPECT_EQ(tied[0].score, tied[1].score);
  EXPECT_GT(tied[0].box.x0, tied[1].box.x0);
}

TEST(RefExpPostprocessTest, PrecisionAtKIsTheReferences) {
  auto gt = annotations::ReadCocoJson("tests/data/model/qa/refexp_gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status();
  eval::RefExpEvaluator evaluator(*gt);
  const auto out = DesignedOutputs();
  for (int64_t b = 0; b < out.pred_logits.size(1); ++b) {
    auto ranking = RankRefExpBoxes(out, b, Width(b), Height(b));
    ASSERT_TRUE(ranking.ok()) << ranking.status();
    ASSERT_TRUE(evaluator.AddImage(100 + b, ranking->scores(), ranking->xyxy()).ok());
  }
  auto result = evaluator.Summarize();
  ASSERT_TRUE(result.ok()) << result.status();
  const auto want = QaGolden("refexp.precision");
  for (int64_t k = 0; k < 3; ++k) {
    EXPECT_DOUBLE_EQ(result->at("refcoco").precision[static_cast<size_t>(k)], want[k].item<double>())
        << "P@" << eval::RefExpEvaluator::kTopK[static_cast<size_t>(k)];
  }
  EXPECT_LT(want[0].item<double>(), want[2].item<double>());  // the ranking matters beyond the top box
}

TEST(RefExpPostprocessTest, IsFinalScoresRankByTheProductAndNeedTheHead) {
  auto out = DesignedOutputs();
  EXPECT_EQ(RankRefExpBoxes(out, 0, 640, 480, RefExpScore::kIsFinal).status().code(), StatusCode::kInvalidArgument);
  // An is-final logit that only the last query passes: it ranks first despite its detection score.
  const int64_t q = out.pred_logits.size(2);
  out.pred_isfinal = torch::full({1, out.pred_logits.size(1), q, 1}, -20.0f);
  out.pred_isfinal[0][0][q - 1][0] = 20.0f;
  auto ranking = RankRefExpBoxes(out, 0, 640, 480, RefExpScore::kIsFinal);
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  EXPECT_EQ(ranking->boxes.front().query, q - 1);
}

TEST(RefExpPostprocessTest, BadArgumentsAreErrors) {
  const auto out = DesignedOutputs();
  EXPECT_EQ(RankRefExpBoxes(out, 6, 640, 480).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RankRefExpBoxes(out, -1, 640, 480).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RankRefExpBoxes(out, 0, 0, 480).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RankRefExpBoxes(model::MdetrOutputs{}, 0, 640, 480).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mdetr::inference
