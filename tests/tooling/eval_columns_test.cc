// What `mdetr status` and `mdetr metrics` show of a task's evaluations: every validation set's
// headline figures, the first data.val entry's first, nothing else.
#include <gtest/gtest.h>

#include <set>

#include "cli/eval_columns.h"

namespace mdetr::cli {
namespace {

TEST(EvalColumnsTest, StatusCellShowsEveryValidationSetsHeadlineFigures) {
  const std::vector<std::pair<std::string, double>> metrics = {
      {"loss", 3.2},
      {"eval/refs_testA/precision@1", 0.61234},
      {"eval/precision@1", 0.52},
      {"eval/precision@5", 0.8},  // not a headline figure
      {"eval/refs_testA/precision@10", 0.9},
      {"eval/R@1", 0.4},
      {"eval/accuracy_kind/count", 0.3},  // a breakdown, not a headline
  };
  EXPECT_EQ(EvalCell(metrics), "R@1=0.4 precision@1=0.52 refs_testA/precision@1=0.6123");
}

TEST(EvalColumnsTest, NoEvaluationYetIsADash) {
  EXPECT_EQ(EvalCell({{"loss", 1.0}, {"images_per_s", 12.0}}), "-");
  EXPECT_EQ(EvalCell({}), "-");
}

TEST(EvalColumnsTest, MetricsColumnsComeSetBySetInHeadlineOrder) {
  std::set<std::string, HeadlineOrder> columns;
  for (const std::string n : {"eval/phrasecut_val/mean_iou", "eval/R@10", "eval/R@1", "eval/refs_testB/R@5",
                              "eval/refs_testB/R@1", "eval/loss_ce", "images_per_s", "eval/R@5"}) {
    if (IsHeadlineEvalMetric(n)) columns.insert(n);
  }
  const std::vector<std::string> got(columns.begin(), columns.end());
  const std::vector<std::string> want = {"eval/R@1", "eval/R@5", "eval/R@10", "eval/phrasecut_val/mean_iou",
                                         "eval/refs_testB/R@1", "eval/refs_testB/R@5"};
  EXPECT_EQ(got, want);
}

TEST(EvalColumnsTest, HeadlineRankNamesTheFiguresUsersLookFirst) {
  EXPECT_EQ(HeadlineRank("eval/R@1"), 0);
  EXPECT_EQ(HeadlineRank("eval/gqa_testdev/accuracy"), 2);
  EXPECT_EQ(HeadlineRank("R@1"), -1) << "a training metric, not an evaluation";
  EXPECT_EQ(HeadlineRank("eval/accuracy_answer_type/0"), -1);
}

}  // namespace
}  // namespace mdetr::cli
