// Mask logits -> binary masks a user reads, as the reference's PostProcessSegm: bilinear resize to
// the batch's largest input size, each image cropped to its own input size, resized (bilinear) to
// the size to report at, sigmoid, > threshold. And PhraseCut's answer for one image: the union of
// the masks of the confident queries (PostProcessPhrasecut).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"

namespace mdetr::inference {

struct ImageSize {
  int64_t height = 0;
  int64_t width = 0;
};

// pred_masks [B,Q,h,w] logits over the padded batch. input_sizes[b]: image b's size inside the
// padded batch (after resizing, before padding); output_sizes[b]: the size to report at (the
// original image for evaluation). Returns per image a bool [Q,H,W] tensor on the CPU.
Result<std::vector<torch::Tensor>> PostprocessMasks(const torch::Tensor& pred_masks,
                                                    const std::vector<ImageSize>& input_sizes,
                                                    const std::vector<ImageSize>& output_sizes,
                                                    double threshold = 0.5);

// masks [Q,H,W] bool of one image, scores [Q] (1 - p(no object)): the union [H,W] of the masks
// whose score is above score_threshold (all false when none is).
torch::Tensor UnionOfConfidentMasks(const torch::Tensor& masks, const torch::Tensor& scores,
                                    double score_threshold = 0.7);

}  // namespace mdetr::inference
