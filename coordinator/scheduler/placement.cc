#include "coordinator/scheduler/placement.h"

#include <algorithm>

namespace mdetr::scheduler {

std::vector<int> UnitsPerNodeOptions(int ranks, int units_per_rank) {
  std::vector<int> options;
  for (int ranks_per_node = ranks; ranks_per_node >= 1; --ranks_per_node) {
    if (ranks % ranks_per_node == 0) options.push_back(ranks_per_node * units_per_rank);
  }
  return options;
}

int GangFitter::FirstFittingOption(const std::vector<int>& options, int64_t total,
                                   const std::vector<int>& eligible, const std::vector<int>& units) {
  if (options.empty() || total <= 0) return 0;
  // Counts are capped at the largest share that could matter, so the table stays small even for
  // CPU gangs with thousands of slots.
  int most = 0;
  for (int node : eligible) most = std::max(most, units[node]);
  const int cap = std::min(options.front(), most);
  if (cap <= 0) return 0;
  at_least_.assign(static_cast<size_t>(cap) + 2, 0);
  for (int node : eligible) {
    const int u = units[node];
    if (u > 0) ++at_least_[std::min(u, cap)];
  }
  for (int k = cap - 1; k >= 0; --k) at_least_[k] += at_least_[k + 1];
  for (int k : options) {
    if (k <= cap && at_least_[k] >= total / k) return k;
  }
  return 0;
}

bool GangFitter::Fit(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
                     const std::vector<int>& avail, std::vector<NodeShare>* out) {
  out->clear();
  const int k = FirstFittingOption(options, total, eligible, avail);
  if (k == 0) return false;
  const auto nodes = static_cast<size_t>(total / k);
  candidates_.clear();
  for (int node : eligible) {
    if (avail[node] >= k) candidates_.emplace_back(avail[node], node);
  }
  // Least room first; ties go to the lower node index so that runs are reproducible.
  std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<long>(nodes - 1),
                   candidates_.end());
  candidates_.resize(nodes);
  std::sort(candidates_.begin(), candidates_.end());
  for (const auto& [room, node] : candidates_) out->push_back({node, k});
  return true;
}

bool GangFitter::Reserve(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
                         const std::vector<int>& room, const std::vector<int>& avail,
                         std::vector<NodeShare>* out) {
  out->clear();
  const int k = FirstFittingOption(options, total, eligible, room);
  if (k == 0) return false;
  const auto nodes = static_cast<size_t>(total / k);
  candidates_.clear();
  for (int node : eligible) {
    // Negated so that the node with the most units free now sorts first.
    if (room[node] >= k) candidates_.emplace_back(-avail[node], node);
  }
  std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<long>(nodes - 1),
                   candidates_.end());
  candidates_.resize(nodes);
  std::sort(candidates_.begin(), candidates_.end());
  for (const auto& [neg_avail, node] : candidates_) out->push_back({node, k});
  return true;
}

bool GangFitter::EverFits(const std::vector<int>& options, int64_t total, const std::vector<int>& eligible,
                          const std::vector<int>& capacity) {
  return FirstFittingOption(options, total, eligible, capacity) != 0;
}

}  // namespace mdetr::scheduler
