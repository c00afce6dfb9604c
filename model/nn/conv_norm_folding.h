// A convolution followed by a frozen backbone norm, run as one convolution with the norm folded
// into its weights (w * scale, bias = shift) when no gradient is wanted: inference and evaluation.
//
// The norm's multiply and add are two passes over every conv output, each a full activation at
// 800 x 1066 (and an allocation); folded, they cost nothing. The folded weights are cached and
// rebuilt when the conv weight or any norm tensor changes (a state-dict load, an optimizer step, a
// device move). Rounding differs from conv-then-norm by a few float32 ulps; with gradients on
// (training) the two ops run as the reference runs them.
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <mutex>

#include "model/nn/backbone_batch_norm.h"

namespace mdetr::model {

class ConvNormFolding {
 public:
  torch::Tensor operator()(torch::nn::Conv2dImpl& conv, BackboneBatchNorm2dImpl& norm, const torch::Tensor& x);

 private:
  struct Source {
    const void* data = nullptr;
    int64_t version = -1;
  };
  std::mutex mu_;
  std::array<Source, 5> sources_;  // conv weight, norm weight, bias, running mean, running var
  torch::Tensor weight_, bias_;
};

}  // namespace mdetr::model
