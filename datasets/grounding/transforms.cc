#include "datasets/grounding/transforms.h"

#include <algorithm>
#include <cmath>

namespace mdetr::grounding {
namespace {

std::vector<int> ScalesOr(const std::vector<int>& scales) {
  if (!scales.empty()) return scales;
  std::vector<int> s;
  for (int v = 480; v <= 800; v += 32) s.push_back(v);
  return s;
}

int64_t UniformInt(std::mt19937_64& rng, int64_t lo, int64_t hi) {  // inclusive, as random.randint
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

}  // namespace

std::pair<int64_t, int64_t> ResizedSize(int64_t h, int64_t w, int size_in, int max_size) {
  double size = size_in;
  if (max_size > 0) {
    const double mn = static_cast<double>(std::min(h, w)), mx = static_cast<double>(std::max(h, w));
    if (mx / mn * size > max_size) size = std::nearbyint(max_size * mn / mx);  // half-to-even, as Python's round
  }
  const auto s = static_cast<int64_t>(size);
  if ((w <= h && w == s) || (h <= w && h == s)) return {h, w};
  if (w < h) return {static_cast<int64_t>(size * static_cast<double>(h) / static_cast<double>(w)), s};
  return {s, static_cast<int64_t>(size * static_cast<double>(w) / static_cast<double>(h))};
}

ImageWithBoxes Resize(const ImageWithBoxes& in, int size, int max_size) {
  const int64_t h = in.image.size(1), w = in.image.size(2);
  const auto [oh, ow] = ResizedSize(h, w, size, max_size);
  ImageWithBoxes out = in;
  if (oh == h && ow == w) return out;
  out.image = torch::nn::functional::interpolate(in.image.unsqueeze(0),
                                                 torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{oh, ow})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false)
                                                     .antialias(true))
                  .squeeze(0)
                  .clamp(0, 1);
  if (in.boxes.numel() > 0) {
    const auto ratio = torch::tensor({static_cast<float>(ow) / static_cast<float>(w),
                                      static_cast<float>(oh) / static_cast<float>(h),
                                      static_cast<float>(ow) / static_cast<float>(w),
                                      static_cast<float>(oh) / static_cast<float>(h)});
    out.boxes = in.boxes * ratio;
  }
  return out;
}

ImageWithBoxes Crop(const ImageWithBoxes& in, int64_t top, int64_t left, int64_t height, int64_t width) {
  ImageWithBoxes out;
  out.image = in.image.narrow(1, top, height).narrow(2, left, width).contiguous();
  if (in.boxes.numel() == 0) {
    out.boxes = in.boxes;
    out.spans = in.spans;
    return out;
  }
  auto b = in.boxes - torch::tensor({static_cast<float>(left), static_cast<float>(top), static_cast<float>(left),
                                     static_cast<float>(top)});
  b = torch::min(b.reshape({-1, 2, 2}), torch::tensor({static_cast<float>(width), static_cast<float>(height)}))
          .clamp_min(0);
  const auto keep = (b.select(1, 1) > b.select(1, 0)).all(1);
  out.boxes = b.reshape({-1, 4}).index({keep});
  for (int64_t i = 0; i < keep.size(0); ++i) {
    if (keep[i].item<bool>()) out.spans.push_back(in.spans[static_cast<size_t>(i)]);
  }
  return out;
}

ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& opt, std::mt19937_64& rng) {
  const auto scales = ScalesOr(opt.scales);
  auto pick = [&](const std::vector<int>& v) { return v[static_cast<size_t>(UniformInt(rng, 0, static_cast<int64_t>(v.size()) - 1))]; };
  if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.5) return Resize(in, pick(scales), opt.max_size);
  auto x = Resize(in, pick(opt.crop_pre_scales), -1);
  const int64_t h = x.image.size(1), w = x.image.size(2);
  const size_t boxes_before = x.spans.size();
  ImageWithBoxes cropped;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int64_t cw = UniformInt(rng, std::min<int64_t>(opt.crop_min, w), std::min<int64_t>(w, opt.crop_max));
    const int64_t ch = UniformInt(rng, std::min<int64_t>(opt.crop_min, h), std::min<int64_t>(h, opt.crop_max));
    const int64_t top = UniformInt(rng, 0, h - ch), left = UniformInt(rng, 0, w - cw);
    cropped = Crop(x, top, left, ch, cw);
    if (cropped.spans.size() == boxes_before) break;  // keep every referred object
  }
  return Resize(cropped, pick(scales), opt.max_size);
}

ImageWithBoxes EvalTransform(const ImageWithBoxes& in, const TransformOptions& opt) {
  return Resize(in, opt.eval_size, opt.max_size);
}

torch::Tensor Normalize(const torch::Tensor& image) {
  static const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
  static const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
  return (image - mean) / std;
}

torch::Tensor NormalizedCxcywh(const torch::Tensor& b, int64_t height, int64_t width) {
  if (b.numel() == 0) return torch::zeros({0, 4});
  const auto u = b.unbind(1);
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  return torch::stack({(u[0] + u[2]) / 2 / w, (u[1] + u[3]) / 2 / h, (u[2] - u[0]) / w, (u[3] - u[1]) / h}, 1);
}

}  // namespace mdetr::grounding
