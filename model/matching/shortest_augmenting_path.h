// The core of the assignment solver: shortest augmenting paths with dual variables (Jonker and
// Volgenant; rectangular form of Crouse 2016). Works on a dense double matrix already brought into
// solving orientation; the public API (assignment.h) validates, transposes and negates for it.
#pragma once

#include <cstdint>
#include <vector>

namespace mdetr::matching {

class ShortestAugmentingPath {
 public:
  enum class Outcome {
    kSolved,
    kInfeasible,  // Some row cannot be assigned without an infinite entry.
    kOverflow,    // A reduced cost or dual variable left the finite doubles.
  };

  // Assigns every row of `cost` (rows x cols, row-major, rows <= cols, entries finite or +inf) to a
  // distinct column at minimum total cost. On kSolved, (*col_for_row)[i] is row i's column.
  //
  // Invariant kept between rows: with duals u (rows) and v (cols), every reduced cost
  // cost[i][j] - u[i] - v[j] is >= 0 and is 0 on assigned pairs, which makes the partial assignment
  // optimal for the rows assigned so far; each new row then enters along a shortest path in reduced
  // costs (Dijkstra), and the duals are updated so the invariant holds again.
  Outcome Solve(const double* cost, int64_t rows, int64_t cols, std::vector<int64_t>* col_for_row);

 private:
  // Dijkstra from the free row `row` to the nearest unassigned column. Fills pred_, dist_,
  // visited_rows_ (starting with `row`) and visited_cols_, and sets *sink and *length.
  Outcome FindPath(const double* cost, int64_t cols, int64_t row, int64_t* sink, double* length);

  std::vector<double> u_;              // Row duals.
  std::vector<double> v_;              // Column duals.
  std::vector<double> dist_;           // Path length to each column in the current search.
  std::vector<int64_t> row_for_col_;   // -1 for unassigned columns.
  std::vector<int64_t> pred_;          // Row from which each column was reached.
  std::vector<int64_t> remaining_;     // Columns not yet settled by the current search.
  std::vector<int64_t> visited_rows_;  // Rows settled by the current search, in order.
  std::vector<int64_t> visited_cols_;  // Columns settled by the current search, in order.
};

}  // namespace mdetr::matching
