// Bipartite matching of predictions to ground-truth boxes (DETR/MDETR): cost = w_class * (minus
// the soft-token probability mass on the box's tokens) + w_bbox * L1 + w_giou * (minus GIoU),
// solved exactly per image by our linear assignment solver.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "common/status.h"
#include "model/objective/target.h"

namespace mdetr::objective {

struct MatchIndices {
  std::vector<int64_t> src;  // query indices, ascending
  std::vector<int64_t> tgt;  // matched target indices
};

struct MatcherWeights {
  double cost_class = 1, cost_bbox = 5, cost_giou = 2;
};

class HungarianMatcher {
 public:
  explicit HungarianMatcher(MatcherWeights w = {}) : w_(w) {}
  // logits [B,Q,256], boxes [B,Q,4]; positive_map [sum n_i, 256] = the targets' maps concatenated.
  Result<std::vector<MatchIndices>> Match(const torch::Tensor& logits, const torch::Tensor& boxes,
                                          const std::vector<Target>& targets, const torch::Tensor& positive_map) const;
  // The cost matrix [B*Q, sum n_i] (float32, CPU), exposed for tests and benchmarks.
  torch::Tensor CostMatrix(const torch::Tensor& logits, const torch::Tensor& boxes, const torch::Tensor& target_boxes,
                           const torch::Tensor& positive_map) const;

 private:
  MatcherWeights w_;
};

}  // namespace mdetr::objective
