#include "model/objective/mask_losses.h"

#include <algorithm>
#include <string>

namespace mdetr::objective {

torch::Tensor SigmoidFocalLoss(const torch::Tensor& inputs, const torch::Tensor& targets, double num_boxes,
                               double alpha, double gamma) {
  const auto prob = inputs.sigmoid();
  const auto ce = torch::binary_cross_entropy_with_logits(inputs, targets, {}, {}, at::Reduction::None);
  const auto p_t = prob * targets + (1 - prob) * (1 - targets);
  auto loss = ce * (1 - p_t).pow(gamma);
  if (alpha >= 0) loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss;
  return loss.mean(1).sum() / num_boxes;
}

torch::Tensor DiceLoss(const torch::Tensor& inputs, const torch::Tensor& targets, double num_boxes) {
  const auto p = inputs.sigmoid().flatten(1);
  const auto numerator = 2 * (p * targets).sum(1);
  const auto denominator = p.sum(-1) + targets.sum(-1);
  return (1 - (numerator + 1) / (denominator + 1)).sum() / num_boxes;
}

Result<MaskLosses> LossMasks(const torch::Tensor& pred_masks, const std::vector<torch::Tensor>& target_masks,
                             const std::vector<MatchIndices>& match, double num_boxes) {
  if (target_masks.size() != match.size()) {
    return InvalidArgumentError("mask loss: " + std::to_string(target_masks.size()) +
                                " target mask sets for " + std::to_string(match.size()) + " images");
  }
  int64_t height = 0, width = 0;
  for (size_t b = 0; b < target_masks.size(); ++b) {
    const auto& t = target_masks[b];
    if (!t.defined() || t.dim() != 3) {
      return InvalidArgumentError("mask loss: target " + std::to_string(b) + " has no masks [n,H,W]");
    }
    height = std::max(height, t.size(1));
    width = std::max(width, t.size(2));
  }
  std::vector<int64_t> batch_index, query_index;
  std::vector<torch::Tensor> targets;
  for (size_t b = 0; b < match.size(); ++b) {
    const auto& t = target_masks[b];
    for (size_t j = 0; j < match[b].src.size(); ++j) {
      const int64_t tgt = match[b].tgt[j];
      if (tgt < 0 || tgt >= t.size(0)) {
        return InvalidArgumentError("mask loss: image " + std::to_string(b) + " matches target " +
                                    std::to_string(tgt) + " but has " + std::to_string(t.size(0)) + " masks");
      }
      batch_index.push_back(static_cast<int64_t>(b));
      query_index.push_back(match[b].src[j]);
      // Zero padding to the batch's largest mask, as NestedTensor.from_tensor_list pads them.
      targets.push_back(torch::constant_pad_nd(t[tgt].to(pred_masks.device(), pred_masks.scalar_type()),
                                               {0, width - t.size(2), 0, height - t.size(1)}, 0));
    }
  }
  if (targets.empty()) {
    const auto zero = pred_masks.sum() * 0;
    return MaskLosses{zero, zero.clone()};
  }
  const auto device = pred_masks.device();
  auto src = pred_masks.index({torch::tensor(batch_index, torch::kInt64).to(device),
                               torch::tensor(query_index, torch::kInt64).to(device)});
  src = torch::nn::functional::interpolate(src.unsqueeze(1), torch::nn::functional::InterpolateFuncOptions()
                                                                 .size(std::vector<int64_t>{height, width})
                                                                 .mode(torch::kBilinear)
                                                                 .align_corners(false))
            .select(1, 0)
            .flatten(1);
  const auto tgt = torch::stack(targets).flatten(1);
  return MaskLosses{SigmoidFocalLoss(src, tgt, num_boxes), DiceLoss(src, tgt, num_boxes)};
}

}  // namespace mdetr::objective
