#include "model/matching/shortest_augmenting_path.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace mdetr::matching {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

ShortestAugmentingPath::Outcome ShortestAugmentingPath::Solve(const double* cost, int64_t rows, int64_t cols,
                                                              std::vector<int64_t>* col_for_row) {
  u_.assign(rows, 0.0);
  v_.assign(cols, 0.0);
  dist_.resize(cols);
  pred_.resize(cols);
  remaining_.resize(cols);
  row_for_col_.assign(cols, -1);
  col_for_row->assign(rows, -1);
  std::vector<int64_t>& assigned = *col_for_row;

  for (int64_t row = 0; row < rows; ++row) {
    int64_t sink = -1;
    double length = 0.0;
    const Outcome outcome = FindPath(cost, cols, row, &sink, &length);
    if (outcome != Outcome::kSolved) return outcome;

    // Dual update: keeps reduced costs non-negative and zero along the new path. Only settled rows
    // and columns change, by how much shorter than the whole path their own distance was.
    u_[row] += length;
    for (size_t k = 1; k < visited_rows_.size(); ++k) {
      const int64_t i = visited_rows_[k];
      u_[i] += length - dist_[assigned[i]];
    }
    for (const int64_t j : visited_cols_) v_[j] -= length - dist_[j];

    // Augment: flip the path, from the sink back to the new row.
    int64_t j = sink;
    while (true) {
      const int64_t i = pred_[j];
      row_for_col_[j] = i;
      std::swap(assigned[i], j);
      if (i == row) break;
    }
  }

  // Overflow in the last dual update is invisible to the searches; check the duals once at the end.
  for (const double x : u_) {
    if (!std::isfinite(x)) return Outcome::kOverflow;
  }
  for (const double x : v_) {
    if (!std::isfinite(x)) return Outcome::kOverflow;
  }
  return Outcome::kSolved;
}

ShortestAugmentingPath::Outcome ShortestAugmentingPath::FindPath(const double* cost, int64_t cols,
                                                                 int64_t row, int64_t* sink, double* length) {
  visited_rows_.clear();
  visited_cols_.clear();
  // Scanning columns from the last one makes a constant matrix come out as the identity; the scan
  // order is part of the tie-breaking rule below, so it is fixed.
  int64_t num_remaining = cols;
  for (int64_t k = 0; k < cols; ++k) remaining_[k] = cols - 1 - k;
  std::fill(dist_.begin(), dist_.begin() + cols, kInf);

  double settled = 0.0;  // Length of the path to the last settled column.
  int64_t i = row;
  while (true) {
    visited_rows_.push_back(i);
    const double* cost_row = cost + i * cols;
    const double u_i = u_[i];
    int64_t best = -1;
    double lowest = kInf;
    for (int64_t k = 0; k < num_remaining; ++k) {
      const int64_t j = remaining_[k];
      const double reduced = settled + cost_row[j] - u_i - v_[j];
      if (reduced < dist_[j]) {
        pred_[j] = i;
        dist_[j] = reduced;
      }
      // Ties: an unassigned column ends the search at once, so it wins over an assigned one at the
      // same distance (this matters for integer costs with many ties); otherwise the first in scan
      // order wins.
      if (dist_[j] < lowest || (dist_[j] == lowest && row_for_col_[j] == -1)) {
        lowest = dist_[j];
        best = k;
      }
    }
    if (best < 0 || lowest == kInf) return Outcome::kInfeasible;
    if (!std::isfinite(lowest)) return Outcome::kOverflow;

    settled = lowest;
    const int64_t j = remaining_[best];
    visited_cols_.push_back(j);
    remaining_[best] = remaining_[--num_remaining];
    if (row_for_col_[j] == -1) {
      *sink = j;
      *length = settled;
      return Outcome::kSolved;
    }
    i = row_for_col_[j];
  }
}

}  // namespace mdetr::matching
