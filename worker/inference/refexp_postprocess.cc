#include "worker/inference/refexp_postprocess.h"

#include <algorithm>
#include <tuple>

namespace mdetr::inference {

std::vector<float> RefExpRanking::scores() const {
  std::vector<float> s;
  s.reserve(boxes.size());
  for (const auto& b : boxes) s.push_back(b.score);
  return s;
}

std::vector<eval::BoxXyxyF> RefExpRanking::xyxy() const {
  std::vector<eval::BoxXyxyF> s;
  s.reserve(boxes.size());
  for (const auto& b : boxes) s.push_back(b.box);
  return s;
}

Result<RefExpRanking> RankRefExpBoxes(const model::MdetrOutputs& out, int64_t b, int width, int height,
                                      RefExpScore score) {
  if (!out.pred_logits.defined() || !out.pred_boxes.defined()) {
    return InvalidArgumentError("refexp ranking: the outputs have no boxes");
  }
  const auto logits = out.logits();
  if (b < 0 || b >= logits.size(0)) {
    return InvalidArgumentError("refexp ranking: image " + std::to_string(b) + " of a batch of " +
                                std::to_string(logits.size(0)));
  }
  if (width <= 0 || height <= 0) {
    return InvalidArgumentError("refexp ranking: image size " + std::to_string(width) + "x" + std::to_string(height) +
                                ", expected positive");
  }
  torch::NoGradGuard no_grad;
  // The reference's float32 operations, in its order (PostProcess, util/box_ops.py).
  const auto prob = logits[b].detach().to(torch::kCPU, torch::kFloat32).softmax(-1);
  auto scores = 1.0 - prob.select(1, prob.size(1) - 1);
  if (score == RefExpScore::kIsFinal) {
    if (!out.pred_isfinal.defined()) {
      return InvalidArgumentError("refexp ranking: is-final scores asked of a model without the is-final head");
    }
    scores = scores * out.pred_isfinal[-1][b].detach().to(torch::kCPU, torch::kFloat32).sigmoid().view_as(scores);
  }
  const auto box = out.boxes()[b].detach().to(torch::kCPU, torch::kFloat32);
  const auto cx = box.select(1, 0), cy = box.select(1, 1), w = box.select(1, 2), h = box.select(1, 3);
  const auto scale = torch::tensor({int64_t{width}, int64_t{height}, int64_t{width}, int64_t{height}}, torch::kInt64);
  const auto xyxy = (torch::stack({cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h}, -1) * scale).contiguous();
  const auto s = scores.contiguous();

  RefExpRanking ranking;
  const float* sp = s.data_ptr<float>();
  const float* bp = xyxy.data_ptr<float>();
  for (int64_t q = 0; q < s.size(0); ++q) {
    ranking.boxes.push_back({sp[q], {bp[4 * q], bp[4 * q + 1], bp[4 * q + 2], bp[4 * q + 3]}, static_cast<int>(q)});
  }
  // Python's sorted((score, box), reverse=True): by score, ties by the box's coordinates in order.
  auto key = [](const RankedBox& r) { return std::make_tuple(r.score, r.box.x0, r.box.y0, r.box.x1, r.box.y1); };
  std::stable_sort(ranking.boxes.begin(), ranking.boxes.end(),
                   [&](const RankedBox& a, const RankedBox& c) { return key(a) > key(c); });
  return ranking;
}

}  // namespace mdetr::inference
