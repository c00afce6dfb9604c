// Exact minimum-cost linear assignment for dense rectangular matrices: the solver behind MDETR's
// Hungarian matcher, with the semantics of scipy.optimize.linear_sum_assignment.
//
// The solver is the shortest augmenting path method of Jonker and Volgenant in the rectangular
// form of Crouse (2016), "On implementing 2D rectangular assignment algorithms": one Dijkstra search
// over reduced costs per row of the smaller side, O(min(r,c)^2 * max(r,c)) time, exact (no epsilon
// scaling). Costs are computed in double whatever the input type, as scipy does, so float32 inputs
// give the same assignment as scipy given the same float32 matrix.
//
// Determinism: ties between equally good augmenting steps are broken by a fixed rule (the same rule
// scipy uses), so a given matrix always yields the same assignment, on every platform, and
// non-unique optima usually coincide with scipy's choice as well.
//
// Thread safety: the free functions are reentrant. An AssignmentSolver keeps scratch buffers and
// must be used by one thread at a time; use one solver per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "model/matching/cost_matrix.h"
#include "model/matching/shortest_augmenting_path.h"

namespace mdetr::matching {

// An optimal assignment in scipy's form: pairs (row_ind[k], col_ind[k]), k < min(rows, cols),
// sorted by row. Every row is assigned when rows <= cols, every column when rows > cols.
struct Assignment {
  std::vector<int64_t> row_ind;
  std::vector<int64_t> col_ind;
  // Sum of the assigned entries of the input matrix, added in row order in double.
  double total_cost = 0.0;

  int64_t size() const { return static_cast<int64_t>(row_ind.size()); }
};

struct AssignmentOptions {
  // Find the maximum-weight assignment instead of the minimum-cost one.
  bool maximize = false;
  // By default every entry must be finite. When set, +inf (-inf when maximizing) marks a pair that
  // must not be assigned, as in scipy; a matrix whose every complete assignment uses such a pair is
  // then reported as infeasible. NaN is always an error.
  bool allow_forbidden_pairs = false;
};

// Reusable solver: keeps its scratch buffers between calls, so solving many matrices (the images of
// a batch, every decoder layer) allocates only when a larger matrix arrives.
//
// Errors (the returned Status names the entry or the shape that is wrong):
//   kInvalidArgument  negative shape, null data, row_stride < cols, a NaN entry, an infinite entry
//                     that is not allowed, or an infeasible matrix (forbidden pairs only);
//   kOutOfRange       finite costs whose range is so large that sums of them overflow double.
// A matrix with 0 rows or 0 columns has the empty assignment.
class AssignmentSolver {
 public:
  Result<Assignment> Solve(CostMatrixView<double> cost, const AssignmentOptions& options = {});
  Result<Assignment> Solve(CostMatrixView<float> cost, const AssignmentOptions& options = {});

 private:
  template <typename T>
  Result<Assignment> SolveImpl(CostMatrixView<T> cost, const AssignmentOptions& options);

  std::vector<double> work_;  // The matrix in solving orientation (rows <= cols), negated to maximize.
  std::vector<int64_t> col_for_row_;
  ShortestAugmentingPath sap_;
};

// One-shot forms of AssignmentSolver::Solve.
Result<Assignment> LinearSumAssignment(CostMatrixView<double> cost, const AssignmentOptions& options = {});
Result<Assignment> LinearSumAssignment(CostMatrixView<float> cost, const AssignmentOptions& options = {});

// Solves each matrix of a batch (one per image) with one solver. Returns one assignment per matrix,
// in order, or the first error, prefixed with "cost matrix <index> of <count>".
Result<std::vector<Assignment>> LinearSumAssignmentBatch(const std::vector<CostMatrixView<double>>& costs,
                                                         const AssignmentOptions& options = {});
Result<std::vector<Assignment>> LinearSumAssignmentBatch(const std::vector<CostMatrixView<float>>& costs,
                                                         const AssignmentOptions& options = {});

}  // namespace mdetr::matching
