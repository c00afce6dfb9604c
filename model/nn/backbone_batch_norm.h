// The backbones' batch norm. Frozen (the reference's FrozenBatchNorm2d, and the default): fixed
// statistics and affine parameters, all stored as buffers. With batch statistics (for a backbone
// trained from random weights, where frozen identity norms let activations grow without bound):
// in training the batch's own mean and variance normalise and the running ones follow with
// momentum 0.1, and the affine weight and bias are parameters; in evaluation it computes exactly
// what the frozen norm computes. Either way the state-dict keys are the same four, so a model
// trained with batch statistics loads as a frozen one. eps is 1e-5 for every backbone,
// EfficientNet included: the released checkpoints were trained that way.
#pragma once

#include <torch/torch.h>

#include <utility>

namespace mdetr::model {

class BackboneBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit BackboneBatchNorm2dImpl(int64_t num_features, bool batch_statistics = false);
  torch::Tensor forward(const torch::Tensor& x);
  // True when it computes the frozen affine map x * scale + shift (always, except in training with
  // batch statistics).
  bool Frozen() const { return !(batch_statistics_ && is_training()); }
  // That map's per-channel scale and shift, [C] each.
  std::pair<torch::Tensor, torch::Tensor> ScaleShift() const;

  torch::Tensor weight, bias, running_mean, running_var;

 private:
  bool batch_statistics_;
};
TORCH_MODULE(BackboneBatchNorm2d);

}  // namespace mdetr::model
