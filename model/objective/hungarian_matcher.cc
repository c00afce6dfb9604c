#include "model/objective/hungarian_matcher.h"

#include "model/matching/assignment.h"
#include "model/objective/box_ops.h"

namespace mdetr::objective {

torch::Tensor HungarianMatcher::CostMatrix(const torch::Tensor& logits, const torch::Tensor& boxes,
                                           const torch::Tensor& target_boxes, const torch::Tensor& positive_map) const {
  torch::NoGradGuard no_grad;
  const auto prob = logits.flatten(0, 1).softmax(-1);
  const auto out_bbox = boxes.flatten(0, 1);
  const auto cost_class = -torch::matmul(prob, positive_map.to(prob.dtype()).t());
  const auto cost_bbox = torch::cdist(out_bbox, target_boxes.to(out_bbox.dtype()), 1);
  const auto cost_giou = -GeneralizedBoxIou(BoxCxcywhToXyxy(out_bbox), BoxCxcywhToXyxy(target_boxes.to(out_bbox.dtype())));
  const auto c = w_.cost_bbox * cost_bbox + w_.cost_class * cost_class + w_.cost_giou * cost_giou;
  return c.to(torch::kCPU, torch::kFloat32).contiguous();
}

Result<std::vector<MatchIndices>> HungarianMatcher::Match(const torch::Tensor& logits, const torch::Tensor& boxes,
                                                          const std::vector<Target>& targets,
                                                          const torch::Tensor& positive_map) const {
  const int64_t bs = logits.size(0), nq = logits.size(1);
  std::vector<torch::Tensor> all_boxes;
  for (const auto& t : targets) all_boxes.push_back(t.boxes);
  std::vector<MatchIndices> out(static_cast<size_t>(bs));
  const auto tgt_boxes = torch::cat(all_boxes).to(boxes.device());
  const int64_t total = tgt_boxes.size(0);
  if (total != positive_map.size(0)) {
    return InvalidArgumentError("matcher: " + std::to_string(total) + " target boxes but " +
                                std::to_string(positive_map.size(0)) + " positive-map rows");
  }
  if (total == 0) return out;
  const auto c = CostMatrix(logits, boxes, tgt_boxes, positive_map.to(boxes.device()));
  const float* data = c.data_ptr<float>();
  int64_t first = 0;
  matching::AssignmentSolver solver;
  for (int64_t b = 0; b < bs; ++b) {
    const int64_t n = targets[static_cast<size_t>(b)].size();
    auto view = matching::CostMatrixView<float>::ColumnBlock(data + b * nq * total, nq, total, first, n);
    first += n;
    if (n == 0) continue;
    auto a = solver.Solve(view);
    if (!a.ok()) return a.status().WithContext("matching image " + std::to_string(b));
    out[static_cast<size_t>(b)] = {a->row_ind, a->col_ind};
  }
  return out;
}

}  // namespace mdetr::objective
