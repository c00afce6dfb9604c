// Mixed precision and memory layout of a training step: bf16 autocast around the model's forward
// (losses and the optimizer stay fp32, as in PyTorch AMP recipes; bf16 needs no loss scaling), and
// channels-last (NHWC) images and convolution weights, which GPU convolutions run faster on.
#pragma once

#include <torch/torch.h>

#include "model/nn/mdetr.h"

namespace mdetr::trainer {

// While alive, eligible ops on `device` run in bf16 when `bf16` is true; otherwise does nothing.
class AutocastScope {
 public:
  AutocastScope(torch::Device device, bool bf16);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType device_type_;
  bool was_enabled_ = false;
  torch::ScalarType was_dtype_ = torch::kFloat32;
};

// Every floating output as fp32, so that losses are computed in full precision.
model::MdetrOutputs ToFloat32(model::MdetrOutputs out);

// Stores every 4-D parameter and buffer of `module` channels-last (values unchanged).
void ToChannelsLast(torch::nn::Module& module);

}  // namespace mdetr::trainer
