// Gang placement over plain per-node counts, shared by the scheduler and its checks.
//
// A gang of R ranks x U units (GPUs or CPU slots) is placed whole or not at all. It goes on one
// node when one has room; otherwise it is split evenly: every node takes the same number of units,
// made of whole ranks (16 GPUs as 2x8, never 8+4+4), so collective operations see a symmetric
// topology. Fewer, fuller nodes are preferred over many thin ones.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace mdetr::scheduler {

// The units per node a gang may take, most first: R*U (one node), then R'*U for every divisor R'
// of R. E.g. 16 ranks x 1 GPU -> {16, 8, 4, 2, 1}; 4 ranks x 4 GPUs -> {16, 8, 4}.
std::vector<int> UnitsPerNodeOptions(int ranks, int units_per_rank);

struct NodeShare {
  int node = 0;   // index into the per-node arrays
  int units = 0;  // units the gang takes there
};

// Chooses nodes for gangs. Keeps scratch buffers so that the hot path does not allocate.
class GangFitter {
 public:
  // Places a gang needing `total` units with per-node `options` (UnitsPerNodeOptions) on nodes of
  // `eligible` by their free units `avail[node]`. Among nodes that fit it takes the ones with the
  // least room (best fit), which keeps whole nodes free for whole-node gangs. False if none fits.
  bool Fit(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
           const std::vector<int>& avail, std::vector<NodeShare>* out);

  // Picks the nodes a blocked gang will wait for: nodes whose not-yet-reserved capacity `room`
  // can hold a share, preferring those with the most units free now (the gang starts soonest).
  bool Reserve(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
               const std::vector<int>& room, const std::vector<int>& avail, std::vector<NodeShare>* out);

  // Whether the gang fits in the nodes' `capacity` at all, i.e. on an empty cluster of this shape.
  bool EverFits(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
                const std::vector<int>& capacity);

 private:
  // Returns the first option k for which at least total/k eligible nodes have `units >= k`,
  // or 0 if there is none.
  int FirstFittingOption(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
                         const std::vector<int>& units);

  std::vector<int> at_least_;                    // at_least_[k]: eligible nodes with >= k units
  std::vector<std::pair<int, int>> candidates_;  // (sort key, node)
};

}  // namespace mdetr::scheduler
