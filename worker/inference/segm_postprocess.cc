#include "worker/inference/segm_postprocess.h"

#include <algorithm>
#include <string>

namespace mdetr::inference {
namespace {

namespace F = torch::nn::functional;

torch::Tensor Bilinear(const torch::Tensor& x, int64_t height, int64_t width) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

Result<std::vector<torch::Tensor>> PostprocessMasks(const torch::Tensor& pred_masks,
                                                    const std::vector<ImageSize>& input_sizes,
                                                    const std::vector<ImageSize>& output_sizes,
                                                    double threshold) {
  if (!pred_masks.defined() || pred_masks.dim() != 4) {
    return InvalidArgumentError(
        "mask post-processing: pred_masks must be [B,Q,h,w] (is the model a segmentation model?)");
  }
  const auto batch = static_cast<size_t>(pred_masks.size(0));
  if (input_sizes.size() != batch || output_sizes.size() != batch) {
    return InvalidArgumentError("mask post-processing: " + std::to_string(input_sizes.size()) +
                                " input and " + std::to_string(output_sizes.size()) +
                                " output sizes for a batch of " + std::to_string(batch));
  }
  int64_t max_h = 0, max_w = 0;
  for (size_t b = 0; b < batch; ++b) {
    const auto& in = input_sizes[b];
    const auto& out = output_sizes[b];
    if (in.height <= 0 || in.width <= 0 || out.height <= 0 || out.width <= 0) {
      return InvalidArgumentError("mask post-processing: image " + std::to_string(b) + " has an empty size");
    }
    max_h = std::max(max_h, in.height);
    max_w = std::max(max_w, in.width);
  }
  torch::NoGradGuard no_grad;
  const auto padded = Bilinear(pred_masks.to(torch::kFloat32), max_h, max_w);
  std::vector<torch::Tensor> result;
  for (size_t b = 0; b < batch; ++b) {
    const auto own = padded[static_cast<int64_t>(b)]
                         .narrow(-2, 0, input_sizes[b].height)
                         .narrow(-1, 0, input_sizes[b].width)
                         .unsqueeze(1);  // [Q,1,h,w]
    const auto resized = Bilinear(own, output_sizes[b].height, output_sizes[b].width);
    result.push_back(resized.sigmoid().gt(threshold).squeeze(1).to(torch::kCPU));
  }
  return result;
}

torch::Tensor UnionOfConfidentMasks(const torch::Tensor& masks, const torch::Tensor& scores,
                                    double score_threshold) {
  const auto keep = scores.to(masks.device()).gt(score_threshold);
  return masks.index({keep}).any(0);
}

}  // namespace mdetr::inference
