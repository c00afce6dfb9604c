// The solver against exhaustive search over every assignment of small matrices.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/matching/assignment.h"

namespace mdetr::matching {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> cost;
  double at(int64_t i, int64_t j) const { return cost[i * cols + j]; }
};

// Every assignment's total, enumerated as injective maps from the smaller side into the larger.
struct Exhaustive {
  double best = 0.0;
  std::vector<int64_t> best_row_ind, best_col_ind;  // In scipy's form, sorted by row.
  std::vector<double> totals;

  // Whether no other assignment comes within `tolerance` of the best.
  bool Unique(double tolerance) const {
    return std::count_if(totals.begin(), totals.end(),
                         [&](double t) { return std::abs(t - best) <= tolerance; }) == 1;
  }
};

Exhaustive Enumerate(const Matrix& m, bool maximize) {
  const bool transpose = m.rows > m.cols;
  const int64_t n = std::min(m.rows, m.cols), k = std::max(m.rows, m.cols);
  std::vector<int64_t> pick(k);  // pick[s] for s < n: the larger-side index of smaller-side item s.
  Exhaustive out;
  bool first = true;
  // Permutations of all k, taking the first n; skip those whose tail is not in ascending order so
  // each injective map is visited once.
  for (int64_t s = 0; s < k; ++s) pick[s] = s;
  do {
    if (!std::is_sorted(pick.begin() + n, pick.end())) continue;
    std::vector<std::pair<int64_t, int64_t>> pairs;
    double total = 0.0;
    for (int64_t s = 0; s < n; ++s) pairs.emplace_back(transpose ? pick[s] : s, transpose ? s : pick[s]);
    std::sort(pairs.begin(), pairs.end());
    for (const auto& [i, j] : pairs) total += m.at(i, j);
    out.totals.push_back(total);
    if (first || (maximize ? total > out.best : total < out.best)) {
      first = false;
      out.best = total;
      out.best_row_ind.clear();
      out.best_col_ind.clear();
      for (const auto& [i, j] : pairs) {
        out.best_row_ind.push_back(i);
        out.best_col_ind.push_back(j);
      }
    }
  } while (std::next_permutation(pick.begin(), pick.end()));
  return out;
}

enum class Draw { kUniform, kSmallIntegers, kDynamicRange };

Matrix Random(std::mt19937_64& rng, int64_t rows, int64_t cols, Draw draw) {
  Matrix m{rows, cols, std::vector<double>(rows * cols)};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> small(0, 2);
  std::uniform_real_distribution<double> exponent(-12.0, 12.0);
  for (double& x : m.cost) {
    switch (draw) {
      case Draw::kUniform:
        x = unit(rng);
        break;
      case Draw::kSmallIntegers:
        x = small(rng);
        break;
      case Draw::kDynamicRange:
        x = (unit(rng) < 0.5 ? -1.0 : 1.0) * std::pow(10.0, exponent(rng));
        break;
    }
  }
  return m;
}

// Checks one matrix: a valid assignment in scipy's form, the exhaustive optimum's total, and the
// exhaustive optimum itself when it is the only one.
void ExpectOptimal(const Matrix& m, const AssignmentOptions& options, const std::string& what);

void ExpectOptimal(const Matrix& m, bool maximize, const std::string& what) {
  AssignmentOptions options;
  options.maximize = maximize;
  ExpectOptimal(m, options, what);
}

void ExpectOptimal(const Matrix& m, const AssignmentOptions& options, const std::string& what) {
  SCOPED_TRACE(what + " " + std::to_string(m.rows) + " x " + std::to_string(m.cols) +
               (options.maximize ? " maximize" : ""));
  const auto ours =
      LinearSumAssignment(CostMatrixView<double>::Dense(m.cost.data(), m.rows, m.cols), options);
  const Exhaustive truth = Enumerate(m, options.maximize);
  if (std::isinf(truth.best)) {  // Every assignment uses a forbidden pair.
    EXPECT_EQ(ours.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ours.status().message().find("infeasible"), std::string::npos) << ours.status();
    return;
  }
  ASSERT_TRUE(ours.ok()) << ours.status();

  ASSERT_EQ(ours->size(), std::min(m.rows, m.cols));
  ASSERT_EQ(ours->col_ind.size(), ours->row_ind.size());
  std::vector<bool> row_used(m.rows), col_used(m.cols);
  double total = 0.0;
  for (int64_t k = 0; k < ours->size(); ++k) {
    const int64_t i = ours->row_ind[k], j = ours->col_ind[k];
    ASSERT_TRUE(i >= 0 && i < m.rows && j >= 0 && j < m.cols) << "pair " << k;
    if (k > 0) EXPECT_LT(ours->row_ind[k - 1], i) << "rows must ascend";
    EXPECT_FALSE(col_used[j]) << "column " << j << " assigned twice";
    row_used[i] = col_used[j] = true;
    total += m.at(i, j);
  }
  EXPECT_EQ(total, ours->total_cost);

  double magnitude = 0.0;
  for (const double x : m.cost) {
    if (std::isfinite(x)) magnitude = std::max(magnitude, std::abs(x));
  }
  const double tolerance = 1e-12 * magnitude * static_cast<double>(ours->size());
  EXPECT_NEAR(ours->total_cost, truth.best, tolerance);
  if (truth.Unique(tolerance)) {
    EXPECT_EQ(ours->row_ind, truth.best_row_ind);
    EXPECT_EQ(ours->col_ind, truth.best_col_ind);
  }
}

TEST(AssignmentBruteForceTest, SquareUniformUpTo7x7) {
  std::mt19937_64 rng(1);
  for (int64_t n = 1; n <= 7; ++n) {
    for (int trial = 0; trial < 25; ++trial)
      ExpectOptimal(Random(rng, n, n, Draw::kUniform), trial % 4 == 3, "uniform");
  }
}

TEST(AssignmentBruteForceTest, RectangularBothWays) {
  std::mt19937_64 rng(2);
  for (int64_t rows = 1; rows <= 7; ++rows) {
    for (int64_t cols = 1; cols <= 7; ++cols) {
      if (rows == cols) continue;
      for (int trial = 0; trial < 8; ++trial) {
        ExpectOptimal(Random(rng, rows, cols, Draw::kUniform), trial % 2 == 1, "uniform");
      }
    }
  }
}

TEST(AssignmentBruteForceTest, IntegerCostsWithManyTies) {
  std::mt19937_64 rng(3);
  for (int64_t rows = 1; rows <= 7; ++rows) {
    for (int64_t cols = 1; cols <= 7; ++cols) {
      for (int trial = 0; trial < 6; ++trial) {
        ExpectOptimal(Random(rng, rows, cols, Draw::kSmallIntegers), trial % 2 == 1, "small integers");
      }
    }
  }
}

TEST(AssignmentBruteForceTest, LargeDynamicRange) {
  std::mt19937_64 rng(4);
  for (int64_t rows = 1; rows <= 6; ++rows) {
    for (int64_t cols = 1; cols <= 6; ++cols) {
      for (int trial = 0; trial < 4; ++trial) {
        ExpectOptimal(Random(rng, rows, cols, Draw::kDynamicRange), trial % 2 == 1,
                      "1e-12..1e12, both signs");
      }
    }
  }
}

// Forbidden pairs (+inf, or -inf when maximizing) in about a third of the entries: the solver must
// avoid them, or report the matrix infeasible exactly when exhaustive search finds no assignment.
TEST(AssignmentBruteForceTest, ForbiddenPairsAndInfeasibility) {
  std::mt19937_64 rng(5);
  std::bernoulli_distribution forbid(0.35);
  int infeasible = 0;
  for (int64_t rows = 1; rows <= 6; ++rows) {
    for (int64_t cols = 1; cols <= 6; ++cols) {
      for (int trial = 0; trial < 6; ++trial) {
        AssignmentOptions options;
        options.maximize = trial % 2 == 1;
        options.allow_forbidden_pairs = true;
        Matrix m = Random(rng, rows, cols, trial % 3 == 0 ? Draw::kSmallIntegers : Draw::kUniform);
        for (double& x : m.cost) {
          if (forbid(rng)) x = options.maximize ? -kInf : kInf;
        }
        infeasible += std::isinf(Enumerate(m, options.maximize).best);
        ExpectOptimal(m, options, "forbidden pairs");
      }
    }
  }
  EXPECT_GT(infeasible, 10);  // The draw must exercise both outcomes.
}

}  // namespace
}  // namespace mdetr::matching
