// The mask terms of the reference's SetCriterion (loss_masks): a sigmoid focal loss and a dice
// loss between the matched predictions' masks, upsampled (bilinear) to the padded size of the
// batch's target masks, and those targets; each normalised by the number of boxes.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "model/objective/hungarian_matcher.h"

namespace mdetr::objective {

// RetinaNet's focal loss on logits `inputs` [N,P] against 0/1 `targets` [N,P]: the per-pixel loss
// averaged over each row, summed over rows, divided by num_boxes.
torch::Tensor SigmoidFocalLoss(const torch::Tensor& inputs, const torch::Tensor& targets, double num_boxes,
                               double alpha = 0.25, double gamma = 2);

// 1 - (2 |p.t| + 1) / (|p| + |t| + 1) per row of sigmoid(inputs), summed, divided by num_boxes.
torch::Tensor DiceLoss(const torch::Tensor& inputs, const torch::Tensor& targets, double num_boxes);

struct MaskLosses {
  torch::Tensor focal;  // loss_mask
  torch::Tensor dice;   // loss_dice
};

// pred_masks [B,Q,h,w] logits; target_masks[b] [n_b,H_b,W_b] (0/1, any dtype) for image b. The
// targets are zero-padded to the largest H and W of the batch, as the reference batches them.
// Fails if a match names a target mask that does not exist.
Result<MaskLosses> LossMasks(const torch::Tensor& pred_masks, const std::vector<torch::Tensor>& target_masks,
                             const std::vector<MatchIndices>& match, double num_boxes);

}  // namespace mdetr::objective
