#include "worker/inference/preprocess.h"

#include <algorithm>
#include <cmath>

#include "datasets/grounding/pil_resize.h"

namespace mdetr::inference {

std::pair<int, int> ResizedShape(int h, int w, const ResizeSpec& spec) {
  double size = spec.size;
  if (spec.max_size > 0) {
    const double min_side = std::min(h, w), max_side = std::max(h, w);
    if (max_side / min_side * size > spec.max_size) size = std::round(spec.max_size * min_side / max_side);
  }
  if ((w <= h && w == size) || (h <= w && h == size)) return {h, w};
  if (w < h) return {static_cast<int>(size * h / w), static_cast<int>(size)};
  return {static_cast<int>(size), static_cast<int>(size * w / h)};
}

torch::Tensor ImageToTensor(const image::Image& img, const ResizeSpec& spec) {
  // Resized as uint8 with PIL's own filter and rounding, as the reference resizes its PIL images:
  // a float resize differs by a grey level here and there, which the tiny mask logits of a
  // segmentation model turn into hundreds of pixels on the other side of the threshold.
  const auto [h, w] = ResizedShape(img.height(), img.width(), spec);
  torch::Tensor pixels;
  if (h != img.height() || w != img.width()) {
    pixels = torch::empty({h, w, 3}, torch::kUInt8);
    grounding::PilBilinearResize(img.data(), img.height(), img.width(), 3, h, w, pixels.data_ptr<uint8_t>());
  } else {
    pixels =
        torch::from_blob(const_cast<uint8_t*>(img.data()), {img.height(), img.width(), 3}, torch::kUInt8);
  }
  const auto t = pixels.permute({2, 0, 1}).to(torch::kFloat32).div(255.0).unsqueeze(0);
  const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
  const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
  return ((t - mean) / std).squeeze(0).contiguous();
}

}  // namespace mdetr::inference
