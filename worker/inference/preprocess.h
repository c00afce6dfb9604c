// Image -> normalised tensor, as the reference's evaluation transform: resize so the shorter side
// is `size` and the longer at most `max_size` (PIL's bilinear filter on the 8-bit image, as the
// reference resizes PIL images), then ImageNet normalisation.
#pragma once

#include <torch/torch.h>

#include "datasets/image/image.h"

namespace mdetr::inference {

struct ResizeSpec {
  int size = 800;
  int max_size = 1333;  // <= 0: no cap (the authors' demo notebook)
};

// The (height, width) the reference's resize rule gives for an image.
std::pair<int, int> ResizedShape(int height, int width, const ResizeSpec& spec);

// [3,H',W'] float32, normalised.
torch::Tensor ImageToTensor(const image::Image& img, const ResizeSpec& spec);

}  // namespace mdetr::inference
