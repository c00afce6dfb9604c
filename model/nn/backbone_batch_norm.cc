#include "model/nn/backbone_batch_norm.h"

namespace mdetr::model {
namespace {
constexpr double kEps = 1e-5;
constexpr double kMomentum = 0.1;  // torch.nn.BatchNorm2d's
}  // namespace

BackboneBatchNorm2dImpl::BackboneBatchNorm2dImpl(int64_t n, bool batch_statistics)
    : batch_statistics_(batch_statistics) {
  if (batch_statistics) {
    weight = register_parameter("weight", torch::ones({n}));
    bias = register_parameter("bias", torch::zeros({n}));
  } else {
    weight = register_buffer("weight", torch::ones({n}));
    bias = register_buffer("bias", torch::zeros({n}));
  }
  running_mean = register_buffer("running_mean", torch::zeros({n}));
  running_var = register_buffer("running_var", torch::ones({n}));
}

std::pair<torch::Tensor, torch::Tensor> BackboneBatchNorm2dImpl::ScaleShift() const {
  auto scale = weight * (running_var + kEps).rsqrt();
  auto shift = bias - running_mean * scale;
  return {scale, shift};
}

torch::Tensor BackboneBatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (batch_statistics_ && is_training()) {
    return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/true, kMomentum, kEps,
                             /*cudnn_enabled=*/true);
  }
  const auto [scale, shift] = ScaleShift();
  // The reference's x * scale + shift, rounded the same way, with one full-size tensor: the sum is
  // added in place (no backward formula reads the product).
  return (x * scale.reshape({1, -1, 1, 1})).add_(shift.reshape({1, -1, 1, 1}));
}

}  // namespace mdetr::model
