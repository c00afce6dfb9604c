// Batch norm with fixed statistics and affine parameters, all stored as buffers (not parameters),
// as MDETR's backbones use it. eps is 1e-5 for every backbone, EfficientNet included: the released
// checkpoints were trained that way.
#pragma once

#include <torch/torch.h>

namespace mdetr::model {

class FrozenBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit FrozenBatchNorm2dImpl(int64_t num_features);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight, bias, running_mean, running_var;
};
TORCH_MODULE(FrozenBatchNorm2d);

}  // namespace mdetr::model
