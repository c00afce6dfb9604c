// Parity with scipy.optimize.linear_sum_assignment on 3300 random matrices
// (tests/data/assignment/scipy_goldens.bin, written by tools/parity/assignment/make_goldens.py).
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/matching/assignment.h"
#include "tests/matching/scipy_goldens.h"
#include "tests/support/test_paths.h"

namespace mdetr::matching {
namespace {

using parity::GoldenCase;
using parity::GoldenDtype;
using parity::GoldenFamily;

const parity::GoldenFile& Goldens() {
  static const parity::GoldenFile* golden = [] {
    auto read =
        parity::ReadScipyGoldens(mdetr::testing::SourceDir() + "/tests/data/assignment/scipy_goldens.bin");
    EXPECT_TRUE(read.ok()) << read.status();
    return new parity::GoldenFile(read.ok() ? std::move(read).value() : parity::GoldenFile{});
  }();
  return *golden;
}

std::string Describe(const GoldenCase& c) {
  return "case " + std::to_string(c.index) + " (" + parity::FamilyName(c.family) + ", " +
         std::to_string(c.rows) + " x " + std::to_string(c.cols) + (c.maximize ? ", maximize" : "") + ")";
}

// Sums of the same entries in another order differ by rounding of the order of their magnitudes,
// which for mixed signs can exceed 1e-9 of the (cancelled) total itself.
double CostTolerance(const GoldenCase& c) {
  double magnitude = 0.0;
  for (size_t k = 0; k < c.row_ind.size(); ++k)
    magnitude += std::abs(c.cost[c.row_ind[k] * c.cols + c.col_ind[k]]);
  return 1e-9 * std::max(std::abs(c.total_cost), magnitude);
}

// Both element types where the stored values are exact in float; double only otherwise.
std::vector<Result<Assignment>> SolveAsStored(const GoldenCase& c) {
  AssignmentOptions options;
  options.maximize = c.maximize;
  std::vector<Result<Assignment>> results;
  results.push_back(
      LinearSumAssignment(CostMatrixView<double>::Dense(c.cost.data(), c.rows, c.cols), options));
  if (c.dtype != GoldenDtype::kFloat64) {
    const std::vector<float> as_float = c.CostAsFloat();
    results.push_back(
        LinearSumAssignment(CostMatrixView<float>::Dense(as_float.data(), c.rows, c.cols), options));
  }
  return results;
}

TEST(ScipyParityTest, GoldensCoverEveryFamilyAndBothOrientations) {
  const auto& cases = Goldens().cases;
  ASSERT_GE(cases.size(), 3000u) << Goldens().generator;
  int wide = 0, tall = 0, unique = 0, maximize = 0, ties = 0;
  for (const GoldenCase& c : cases) {
    wide += c.rows < c.cols;
    tall += c.rows > c.cols;
    unique += c.unique;
    maximize += c.maximize;
    ties += !c.unique;
  }
  EXPECT_GT(wide, 500);
  EXPECT_GT(tall, 500);
  EXPECT_GT(unique, 1000);
  EXPECT_GT(maximize, 300);
  EXPECT_GT(ties, 300);
}

TEST(ScipyParityTest, SameTotalCostForEveryMatrix) {
  for (const GoldenCase& c : Goldens().cases) {
    for (const Result<Assignment>& ours : SolveAsStored(c)) {
      ASSERT_TRUE(ours.ok()) << Describe(c) << ": " << ours.status();
      ASSERT_EQ(ours->size(), std::min(c.rows, c.cols)) << Describe(c);
      EXPECT_NEAR(ours->total_cost, c.total_cost, CostTolerance(c)) << Describe(c);
    }
  }
}

TEST(ScipyParityTest, SameAssignmentWhenTheOptimumIsUnique) {
  int compared = 0;
  for (const GoldenCase& c : Goldens().cases) {
    if (!c.unique) continue;
    for (const Result<Assignment>& ours : SolveAsStored(c)) {
      ASSERT_TRUE(ours.ok()) << Describe(c) << ": " << ours.status();
      EXPECT_EQ(ours->row_ind, c.row_ind) << Describe(c);
      EXPECT_EQ(ours->col_ind, c.col_ind) << Describe(c);
      ++compared;
    }
  }
  EXPECT_GT(compared, 2000);
}

// Our tie-breaking rule is scipy's, so even among several optima we pick scipy's. Not required for
// correctness, but it keeps matcher outputs (and so losses) identical to the reference on ties.
TEST(ScipyParityTest, TiesResolvedAsScipyDoes) {
  int ties = 0, same = 0;
  for (const GoldenCase& c : Goldens().cases) {
    if (c.unique) continue;
    ++ties;
    const Result<Assignment> ours = SolveAsStored(c).front();
    ASSERT_TRUE(ours.ok()) << Describe(c) << ": " << ours.status();
    const bool identical = ours->row_ind == c.row_ind && ours->col_ind == c.col_ind;
    same += identical;
    EXPECT_TRUE(identical) << Describe(c);
  }
  RecordProperty("ties", ties);
  RecordProperty("ties_resolved_as_scipy", same);
}

TEST(ScipyParityTest, BatchOfMatcherShapedMatricesMatchesScipy) {
  std::vector<const GoldenCase*> batch;
  std::vector<std::vector<float>> storage;
  std::vector<CostMatrixView<float>> views;
  for (const GoldenCase& c : Goldens().cases) {
    if (c.family != GoldenFamily::kMatcherShaped) continue;
    batch.push_back(&c);
    storage.push_back(c.CostAsFloat());
  }
  ASSERT_GE(batch.size(), 50u);
  for (size_t k = 0; k < batch.size(); ++k) {
    views.push_back(CostMatrixView<float>::Dense(storage[k].data(), batch[k]->rows, batch[k]->cols));
  }
  const auto results = LinearSumAssignmentBatch(views);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), batch.size());
  for (size_t k = 0; k < batch.size(); ++k) {
    EXPECT_NEAR((*results)[k].total_cost, batch[k]->total_cost, CostTolerance(*batch[k]))
        << Describe(*batch[k]);
    if (batch[k]->unique) {
      EXPECT_EQ((*results)[k].row_ind, batch[k]->row_ind) << Describe(*batch[k]);
      EXPECT_EQ((*results)[k].col_ind, batch[k]->col_ind) << Describe(*batch[k]);
    }
  }
}

}  // namespace
}  // namespace mdetr::matching
