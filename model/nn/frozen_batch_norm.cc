#include "model/nn/frozen_batch_norm.h"

namespace mdetr::model {

FrozenBatchNorm2dImpl::FrozenBatchNorm2dImpl(int64_t n) {
  weight = register_buffer("weight", torch::ones({n}));
  bias = register_buffer("bias", torch::zeros({n}));
  running_mean = register_buffer("running_mean", torch::zeros({n}));
  running_var = register_buffer("running_var", torch::ones({n}));
}

torch::Tensor FrozenBatchNorm2dImpl::forward(const torch::Tensor& x) {
  constexpr double kEps = 1e-5;
  const auto scale = weight * (running_var + kEps).rsqrt();
  const auto shift = bias - running_mean * scale;
  return x * scale.reshape({1, -1, 1, 1}) + shift.reshape({1, -1, 1, 1});
}

}  // namespace mdetr::model
