// A padded image batch and its padding mask, as the reference's NestedTensor.
#pragma once

#include <torch/torch.h>

namespace mdetr::model {

struct NestedTensor {
  torch::Tensor tensors;  // [B, C, H, W]
  torch::Tensor mask;     // [B, H, W] bool, true on padded pixels
};

// Pads images of different sizes to the batch's largest height and width (top-left aligned).
NestedTensor NestedTensorFromImages(const std::vector<torch::Tensor>& images);

}  // namespace mdetr::model
