// The assignment API as the Hungarian matcher uses it: scipy's output form, views into a batch's
// cost matrix, batches, element types and solver reuse.
#include <limits>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/matching/assignment.h"

namespace mdetr::matching {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> RandomCosts(std::mt19937_64& rng, int64_t n) {
  std::uniform_real_distribution<double> unit(-1.0, 4.0);
  std::vector<double> cost(n);
  for (double& x : cost) x = unit(rng);
  return cost;
}

// The example of scipy.optimize.linear_sum_assignment's documentation, with scipy's answers.
TEST(AssignmentApiTest, ScipyDocumentationExample) {
  const std::vector<double> cost = {4, 1, 3, 2, 0, 5, 3, 2, 2};
  const auto min = LinearSumAssignment(CostMatrixView<double>::Dense(cost.data(), 3, 3));
  ASSERT_TRUE(min.ok()) << min.status();
  EXPECT_THAT(min->row_ind, ElementsAre(0, 1, 2));
  EXPECT_THAT(min->col_ind, ElementsAre(1, 0, 2));
  EXPECT_EQ(min->total_cost, 5.0);

  AssignmentOptions maximize;
  maximize.maximize = true;
  const auto max = LinearSumAssignment(CostMatrixView<double>::Dense(cost.data(), 3, 3), maximize);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_THAT(max->col_ind, ElementsAre(0, 2, 1));
  EXPECT_EQ(max->total_cost, 11.0);
}

// scipy returns the identity for constant matrices, wide or tall.
TEST(AssignmentApiTest, ConstantMatrixGivesTheIdentity) {
  const std::vector<double> zeros(15, 0.0);
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{3, 5}, {5, 3}}) {
    const auto result = LinearSumAssignment(CostMatrixView<double>::Dense(zeros.data(), rows, cols));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(result->row_ind, ElementsAre(0, 1, 2)) << rows << " x " << cols;
    EXPECT_THAT(result->col_ind, ElementsAre(0, 1, 2)) << rows << " x " << cols;
  }
}

TEST(AssignmentApiTest, TallMatrixAssignsEveryColumnWithRowsAscending) {
  // 4 queries x 2 targets: query 3 is best for target 0, query 1 for target 1.
  const std::vector<double> cost = {5, 5, 5, 0.5, 5, 5, 1, 5};
  const auto result = LinearSumAssignment(CostMatrixView<double>::Dense(cost.data(), 4, 2));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->row_ind, ElementsAre(1, 3));
  EXPECT_THAT(result->col_ind, ElementsAre(1, 0));
  EXPECT_EQ(result->total_cost, 1.5);
}

TEST(AssignmentApiTest, EmptyMatricesGiveEmptyAssignments) {
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{0, 0}, {0, 5}, {100, 0}}) {
    const auto result = LinearSumAssignment(CostMatrixView<float>::Dense(nullptr, rows, cols));
    ASSERT_TRUE(result.ok()) << rows << " x " << cols << ": " << result.status();
    EXPECT_THAT(result->row_ind, IsEmpty());
    EXPECT_THAT(result->col_ind, IsEmpty());
    EXPECT_EQ(result->total_cost, 0.0);
  }
}

// The matcher's layout: one [queries x all targets] matrix, each image solving its own block of
// columns. Views must give what solving each block copied out gives.
TEST(AssignmentApiTest, ColumnBlocksOfABatchMatrixSolveLikeCopies) {
  std::mt19937_64 rng(7);
  const int64_t queries = 100;
  const std::vector<int64_t> targets = {3, 0, 12, 1, 7};
  const int64_t total = 23;
  const std::vector<double> cost = RandomCosts(rng, queries * total);

  std::vector<CostMatrixView<double>> views;
  std::vector<std::vector<double>> copies;
  int64_t first = 0;
  for (const int64_t n : targets) {
    views.push_back(CostMatrixView<double>::ColumnBlock(cost.data(), queries, total, first, n));
    std::vector<double> copy;
    for (int64_t q = 0; q < queries; ++q) {
      for (int64_t t = 0; t < n; ++t) copy.push_back(cost[q * total + first + t]);
    }
    copies.push_back(std::move(copy));
    first += n;
  }
  const auto batch = LinearSumAssignmentBatch(views);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), targets.size());
  for (size_t b = 0; b < targets.size(); ++b) {
    const auto single =
        LinearSumAssignment(CostMatrixView<double>::Dense(copies[b].data(), queries, targets[b]));
    ASSERT_TRUE(single.ok()) << single.status();
    EXPECT_EQ((*batch)[b].row_ind, single->row_ind) << "image " << b;
    EXPECT_EQ((*batch)[b].col_ind, single->col_ind) << "image " << b;
    EXPECT_EQ((*batch)[b].size(), targets[b]);
  }
}

TEST(AssignmentApiTest, FloatInputSolvesLikeItsDoublePromotion) {
  std::mt19937_64 rng(8);
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{100, 10}, {20, 60}, {30, 30}}) {
    std::vector<float> as_float;
    for (const double x : RandomCosts(rng, rows * cols)) as_float.push_back(static_cast<float>(x));
    const std::vector<double> as_double(as_float.begin(), as_float.end());
    const auto f = LinearSumAssignment(CostMatrixView<float>::Dense(as_float.data(), rows, cols));
    const auto d = LinearSumAssignment(CostMatrixView<double>::Dense(as_double.data(), rows, cols));
    ASSERT_TRUE(f.ok() && d.ok());
    EXPECT_EQ(f->row_ind, d->row_ind);
    EXPECT_EQ(f->col_ind, d->col_ind);
    EXPECT_EQ(f->total_cost, d->total_cost);
  }
}

// A solver keeps scratch buffers between calls; sizes going up and down must not leak state.
TEST(AssignmentApiTest, ReusedSolverMatchesFreshSolves) {
  std::mt19937_64 rng(9);
  AssignmentSolver solver;
  for (const auto& [rows, cols] :
       {std::pair<int64_t, int64_t>{300, 100}, {5, 3}, {3, 5}, {100, 50}, {1, 1}, {50, 100}}) {
    const std::vector<double> cost = RandomCosts(rng, rows * cols);
    const auto view = CostMatrixView<double>::Dense(cost.data(), rows, cols);
    const auto reused = solver.Solve(view);
    const auto fresh = LinearSumAssignment(view);
    ASSERT_TRUE(reused.ok() && fresh.ok());
    EXPECT_EQ(reused->col_ind, fresh->col_ind) << rows << " x " << cols;
    EXPECT_EQ(reused->row_ind, fresh->row_ind) << rows << " x " << cols;
  }
}

TEST(AssignmentApiTest, ForbiddenPairsAreAvoidedWhenAllowed) {
  // Without the +inf entries the diagonal (total 0) would win.
  const std::vector<double> cost = {kInf, 1, 5, 2, kInf, 1, 0, 3, kInf};
  AssignmentOptions options;
  options.allow_forbidden_pairs = true;
  const auto result = LinearSumAssignment(CostMatrixView<double>::Dense(cost.data(), 3, 3), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->col_ind, ElementsAre(1, 2, 0));
  EXPECT_EQ(result->total_cost, 2.0);

  options.maximize = true;
  const std::vector<double> gains = {-kInf, 1, 5, 2, -kInf, 1, 0, 3, -kInf};
  const auto best = LinearSumAssignment(CostMatrixView<double>::Dense(gains.data(), 3, 3), options);
  ASSERT_TRUE(best.ok()) << best.status();
  EXPECT_THAT(best->col_ind, ElementsAre(2, 0, 1));
  EXPECT_EQ(best->total_cost, 10.0);
}

}  // namespace
}  // namespace mdetr::matching
