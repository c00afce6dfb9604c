#include "model/matching/assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace mdetr::matching {
namespace {

std::string ShapeText(int64_t rows, int64_t cols) {
  return "(" + std::to_string(rows) + " x " + std::to_string(cols) + ")";
}

std::string EntryText(int64_t row, int64_t col) {
  return "cost matrix entry (row " + std::to_string(row) + ", column " + std::to_string(col) + ")";
}

template <typename T>
Status CheckShape(const CostMatrixView<T>& cost) {
  if (cost.rows < 0 || cost.cols < 0) {
    return InvalidArgumentError("cost matrix shape " + ShapeText(cost.rows, cost.cols) +
                                ": expected non-negative sizes");
  }
  if (cost.rows == 0 || cost.cols == 0) return Status::Ok();
  if (cost.data == nullptr) {
    return InvalidArgumentError("cost matrix " + ShapeText(cost.rows, cost.cols) + " has no data");
  }
  // The solver copies the matrix; refuse shapes whose element count does not even fit in an index.
  constexpr int64_t kMaxElements = int64_t{1} << 40;
  if (cost.rows > kMaxElements / cost.cols ||
      cost.rows > kMaxElements / std::max<int64_t>(cost.row_stride, 1)) {
    return InvalidArgumentError("cost matrix " + ShapeText(cost.rows, cost.cols) + " with row_stride " +
                                std::to_string(cost.row_stride) +
                                " is too large: expected at most 2^40 elements");
  }
  if (cost.row_stride < cost.cols) {
    return InvalidArgumentError("cost matrix " + ShapeText(cost.rows, cost.cols) + " has row_stride " +
                                std::to_string(cost.row_stride) + ": expected at least " +
                                std::to_string(cost.cols));
  }
  return Status::Ok();
}

// Explains why a non-finite entry is not accepted, or returns OK for a forbidden pair that is.
Status CheckNonFinite(double x, int64_t row, int64_t col, const AssignmentOptions& options) {
  if (std::isnan(x)) return InvalidArgumentError(EntryText(row, col) + " is NaN; expected a finite number");
  const bool forbidden_sign = options.maximize ? x < 0 : x > 0;
  if (forbidden_sign && options.allow_forbidden_pairs) return Status::Ok();
  const std::string value = x > 0 ? "+inf" : "-inf";
  if (!forbidden_sign) {
    return InvalidArgumentError(
        EntryText(row, col) + " is " + value + "; expected a finite number" +
        (options.allow_forbidden_pairs
             ? std::string(" or ") + (options.maximize ? "-inf" : "+inf") + " for a forbidden pair"
             : std::string()));
  }
  return InvalidArgumentError(EntryText(row, col) + " is " + value +
                              "; expected a finite number (set allow_forbidden_pairs to mark forbidden "
                              "pairs with " +
                              value + ")");
}

// Finds the first non-finite entry that the options do not allow, in row-major order.
template <typename T>
Status CheckNonFiniteEntries(const CostMatrixView<T>& cost, const AssignmentOptions& options) {
  for (int64_t i = 0; i < cost.rows; ++i) {
    for (int64_t j = 0; j < cost.cols; ++j) {
      const double x = static_cast<double>(cost.at(i, j));
      if (!std::isfinite(x)) MDETR_RETURN_IF_ERROR(CheckNonFinite(x, i, j, options));
    }
  }
  return Status::Ok();
}

// Copies the matrix as double into `work` in solving orientation (transposed when rows > cols,
// so that the solver's rows are the smaller side), negated when maximizing. Finiteness is checked
// afterwards in one branch-free pass over the copy; only when it fails are the entries looked up
// one by one to name the first bad one.
template <typename T>
Status CopyForSolving(const CostMatrixView<T>& cost, const AssignmentOptions& options, bool transpose,
                      std::vector<double>* work) {
  work->resize(static_cast<size_t>(cost.rows * cost.cols));
  double* out = work->data();
  for (int64_t i = 0; i < cost.rows; ++i) {
    const T* row = cost.data + i * cost.row_stride;
    if (transpose) {
      for (int64_t j = 0; j < cost.cols; ++j) out[j * cost.rows + i] = static_cast<double>(row[j]);
    } else {
      std::copy(row, row + cost.cols, out + i * cost.cols);
    }
  }
  constexpr double kMax = std::numeric_limits<double>::max();
  int64_t non_finite = 0;
  for (const double x : *work) non_finite += !(std::abs(x) <= kMax);  // Counts NaN too.
  if (non_finite > 0) MDETR_RETURN_IF_ERROR(CheckNonFiniteEntries(cost, options));
  if (options.maximize) {
    for (double& x : *work) x = -x;
  }
  return Status::Ok();
}

template <typename T>
Result<std::vector<Assignment>> SolveBatch(const std::vector<CostMatrixView<T>>& costs,
                                           const AssignmentOptions& options) {
  AssignmentSolver solver;
  std::vector<Assignment> assignments;
  assignments.reserve(costs.size());
  for (size_t k = 0; k < costs.size(); ++k) {
    Result<Assignment> assignment = solver.Solve(costs[k], options);
    if (!assignment.ok()) {
      return assignment.status().WithContext("cost matrix " + std::to_string(k) + " of " +
                                             std::to_string(costs.size()));
    }
    assignments.push_back(std::move(assignment).value());
  }
  return assignments;
}

}  // namespace

template <typename T>
Result<Assignment> AssignmentSolver::SolveImpl(CostMatrixView<T> cost, const AssignmentOptions& options) {
  MDETR_RETURN_IF_ERROR(CheckShape(cost));
  Assignment result;
  if (cost.rows == 0 || cost.cols == 0) return result;

  const bool transpose = cost.rows > cost.cols;
  MDETR_RETURN_IF_ERROR(CopyForSolving(cost, options, transpose, &work_));
  const int64_t n = transpose ? cost.cols : cost.rows;
  const int64_t m = transpose ? cost.rows : cost.cols;
  switch (sap_.Solve(work_.data(), n, m, &col_for_row_)) {
    case ShortestAugmentingPath::Outcome::kSolved:
      break;
    case ShortestAugmentingPath::Outcome::kInfeasible:
      if (options.allow_forbidden_pairs) {
        return InvalidArgumentError("cost matrix " + ShapeText(cost.rows, cost.cols) +
                                    " is infeasible: every complete assignment uses a forbidden pair");
      }
      // Without forbidden pairs every entry is finite, so an infinite path length is an overflow.
      [[fallthrough]];
    case ShortestAugmentingPath::Outcome::kOverflow:
      return OutOfRangeError("cost matrix " + ShapeText(cost.rows, cost.cols) +
                             ": sums of its costs overflow double; expected costs of a smaller range");
  }

  result.row_ind.reserve(n);
  result.col_ind.reserve(n);
  if (!transpose) {
    for (int64_t i = 0; i < n; ++i) {
      result.row_ind.push_back(i);
      result.col_ind.push_back(col_for_row_[i]);
    }
  } else {
    // The solver's rows are our columns. Scatter to list the pairs in order of our rows.
    std::vector<int64_t> col_of_row(m, -1);
    for (int64_t j = 0; j < n; ++j) col_of_row[col_for_row_[j]] = j;
    for (int64_t i = 0; i < m; ++i) {
      if (col_of_row[i] < 0) continue;
      result.row_ind.push_back(i);
      result.col_ind.push_back(col_of_row[i]);
    }
  }
  for (int64_t k = 0; k < n; ++k) {
    result.total_cost += static_cast<double>(cost.at(result.row_ind[k], result.col_ind[k]));
  }
  if (!std::isfinite(result.total_cost)) {
    return OutOfRangeError("cost matrix " + ShapeText(cost.rows, cost.cols) +
                           ": the optimal total cost overflows double; expected costs of a smaller range");
  }
  return result;
}

Result<Assignment> AssignmentSolver::Solve(CostMatrixView<double> cost, const AssignmentOptions& options) {
  return SolveImpl(cost, options);
}

Result<Assignment> AssignmentSolver::Solve(CostMatrixView<float> cost, const AssignmentOptions& options) {
  return SolveImpl(cost, options);
}

Result<Assignment> LinearSumAssignment(CostMatrixView<double> cost, const AssignmentOptions& options) {
  return AssignmentSolver().Solve(cost, options);
}

Result<Assignment> LinearSumAssignment(CostMatrixView<float> cost, const AssignmentOptions& options) {
  return AssignmentSolver().Solve(cost, options);
}

Result<std::vector<Assignment>> LinearSumAssignmentBatch(const std::vector<CostMatrixView<double>>& costs,
                                                         const AssignmentOptions& options) {
  return SolveBatch(costs, options);
}

Result<std::vector<Assignment>> LinearSumAssignmentBatch(const std::vector<CostMatrixView<float>>& costs,
                                                         const AssignmentOptions& options) {
  return SolveBatch(costs, options);
}

}  // namespace mdetr::matching
