// Bad input never crashes the solver: each case gives a Status that says what is wrong and where.
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/matching/assignment.h"

namespace mdetr::matching {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename T>
Status SolveStatus(const std::vector<T>& cost, int64_t rows, int64_t cols, AssignmentOptions options = {}) {
  return LinearSumAssignment(CostMatrixView<T>::Dense(cost.data(), rows, cols), options).status();
}

TEST(AssignmentErrorsTest, NaNIsRejectedWithItsPosition) {
  // Tall (solved transposed) and wide: the position is always in the caller's orientation.
  std::vector<double> tall(12, 1.0);
  tall[2 * 3 + 1] = kNaN;
  const Status s = SolveStatus(tall, 4, 3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("(row 2, column 1)"), HasSubstr("NaN")));

  std::vector<float> wide(12, 1.0f);
  wide[1 * 4 + 3] = std::numeric_limits<float>::quiet_NaN();
  AssignmentOptions allow;
  allow.allow_forbidden_pairs = true;
  EXPECT_THAT(SolveStatus(wide, 3, 4, allow).message(), HasSubstr("(row 1, column 3) is NaN"));
}

TEST(AssignmentErrorsTest, InfinityIsRejectedUnlessItMarksAForbiddenPair) {
  std::vector<double> cost(9, 1.0);
  cost[4] = kInf;
  const Status s = SolveStatus(cost, 3, 3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("(row 1, column 1) is +inf"), HasSubstr("allow_forbidden_pairs")));

  // -inf would make the minimum unbounded; +inf when maximizing likewise.
  AssignmentOptions allow;
  allow.allow_forbidden_pairs = true;
  cost[4] = -kInf;
  EXPECT_THAT(SolveStatus(cost, 3, 3, allow).message(), HasSubstr("(row 1, column 1) is -inf"));
  allow.maximize = true;
  cost[4] = kInf;
  EXPECT_THAT(SolveStatus(cost, 3, 3, allow).message(), HasSubstr("(row 1, column 1) is +inf"));
  cost[4] = -kInf;
  EXPECT_TRUE(SolveStatus(cost, 3, 3, allow).ok());
}

TEST(AssignmentErrorsTest, InfeasibleMatrixIsAnError) {
  // Both rows can only take column 1 (scipy: "cost matrix is infeasible").
  const std::vector<double> cost = {kInf, 1, kInf, 2};
  AssignmentOptions allow;
  allow.allow_forbidden_pairs = true;
  const Status s = SolveStatus(cost, 2, 2, allow);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("infeasible"));

  // Tall: three queries, two targets, and only query 0 may take either target.
  const std::vector<double> tall = {1, 2, kInf, kInf, kInf, kInf};
  EXPECT_THAT(SolveStatus(tall, 3, 2, allow).message(), HasSubstr("(3 x 2) is infeasible"));
}

TEST(AssignmentErrorsTest, BadShapesAreRejected) {
  const std::vector<double> cost(6, 1.0);
  EXPECT_THAT(SolveStatus(cost, -1, 3).message(), HasSubstr("expected non-negative sizes"));
  EXPECT_THAT(LinearSumAssignment(CostMatrixView<double>::Dense(nullptr, 2, 3)).status().message(),
              HasSubstr("(2 x 3) has no data"));
  const CostMatrixView<double> narrow{cost.data(), 2, 3, 2};
  EXPECT_THAT(LinearSumAssignment(narrow).status().message(), HasSubstr("row_stride 2: expected at least 3"));
  const int64_t huge = int64_t{1} << 32;
  const CostMatrixView<double> too_large{cost.data(), huge, huge, huge};
  EXPECT_THAT(LinearSumAssignment(too_large).status().message(), HasSubstr("is too large"));
}

TEST(AssignmentErrorsTest, OverflowingCostsAreOutOfRange) {
  const double huge = std::numeric_limits<double>::max();
  const std::vector<double> cost = {huge, huge, huge, huge};
  const Status s = SolveStatus(cost, 2, 2);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("overflows double"));

  const std::vector<double> mixed = {huge, -huge, -huge, huge, huge, -huge};
  EXPECT_EQ(SolveStatus(mixed, 2, 3).code(), StatusCode::kOutOfRange);
}

TEST(AssignmentErrorsTest, BatchErrorNamesTheMatrix) {
  const std::vector<double> good(4, 1.0);
  std::vector<double> bad(4, 1.0);
  bad[3] = kNaN;
  const auto result = LinearSumAssignmentBatch(std::vector<CostMatrixView<double>>{
      CostMatrixView<double>::Dense(good.data(), 2, 2), CostMatrixView<double>::Dense(bad.data(), 2, 2),
      CostMatrixView<double>::Dense(good.data(), 1, 4)});
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("cost matrix 1 of 3: cost matrix entry (row 1, column 1) is NaN"));
}

}  // namespace
}  // namespace mdetr::matching
