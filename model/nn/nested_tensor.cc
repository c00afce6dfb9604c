#include "model/nn/nested_tensor.h"

namespace mdetr::model {

NestedTensor NestedTensorFromImages(const std::vector<torch::Tensor>& images) {
  TORCH_CHECK(!images.empty(), "NestedTensorFromImages: no images");
  int64_t max_h = 0, max_w = 0;
  for (const auto& img : images) {
    TORCH_CHECK(img.dim() == 3, "expected [C,H,W] images, got ", img.sizes());
    max_h = std::max(max_h, img.size(1));
    max_w = std::max(max_w, img.size(2));
  }
  const int64_t b = static_cast<int64_t>(images.size());
  auto tensors = torch::zeros({b, images[0].size(0), max_h, max_w}, images[0].options());
  auto mask = torch::ones({b, max_h, max_w}, images[0].options().dtype(torch::kBool));
  for (int64_t i = 0; i < b; ++i) {
    const auto& img = images[static_cast<size_t>(i)];
    tensors[i].narrow(1, 0, img.size(1)).narrow(2, 0, img.size(2)).copy_(img);
    mask[i].narrow(0, 0, img.size(1)).narrow(1, 0, img.size(2)).fill_(false);
  }
  return {tensors, mask};
}

}  // namespace mdetr::model
