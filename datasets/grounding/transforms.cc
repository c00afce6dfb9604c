#include "datasets/grounding/transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "datasets/grounding/pil_resize.h"

namespace mdetr::grounding {
namespace {

std::vector<int> ScalesOr(const std::vector<int>& scales) {
  if (!scales.empty()) return scales;
  std::vector<int> s;
  for (int v = 480; v <= 800; v += 32) s.push_back(v);
  return s;
}

const char* KindName(RecordedDraws::Kind kind) {
  switch (kind) {
    case RecordedDraws::Kind::kUniform: return "uniform";
    case RecordedDraws::Kind::kChoice: return "choice";
    case RecordedDraws::Kind::kRandInt: return "randint";
  }
  return "?";
}

// The reference's interpolate(masks[:, None].float(), size, mode="nearest")[:, 0] > 0.5, with
// torch's nearest source index (floor(dst * in / out) in float32, exact for 2x). Plain loops:
// a loader thread stays out of the intra-op thread pool.
int64_t NearestSource(int64_t dst, int64_t in, int64_t out) {
  if (in == out) return dst;
  if (out == 2 * in) return dst >> 1;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(dst) * scale)), in - 1);
}

torch::Tensor ResizeMasksNearest(const torch::Tensor& masks, int64_t oh, int64_t ow) {
  const auto src = masks.to(torch::kBool).contiguous();
  const int64_t n = src.size(0), h = src.size(1), w = src.size(2);
  auto out = torch::empty({n, oh, ow}, torch::kBool);
  std::vector<int64_t> xs(static_cast<size_t>(ow));
  for (int64_t x = 0; x < ow; ++x) xs[static_cast<size_t>(x)] = NearestSource(x, w, ow);
  const bool* in = src.data_ptr<bool>();
  bool* o = out.data_ptr<bool>();
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t y = 0; y < oh; ++y) {
      const bool* row = in + (k * h + NearestSource(y, h, oh)) * w;
      bool* dst = o + (k * oh + y) * ow;
      for (int64_t x = 0; x < ow; ++x) dst[x] = row[xs[static_cast<size_t>(x)]];
    }
  }
  return out;
}

}  // namespace

double GeneratorDraws::Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

size_t GeneratorDraws::Choice(size_t n) {
  return static_cast<size_t>(RandInt(0, static_cast<int64_t>(n) - 1));
}

int64_t GeneratorDraws::RandInt(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

const RecordedDraws::Draw* RecordedDraws::Take(Kind kind, double lo, double hi) {
  if (!error_.empty()) return nullptr;
  if (next_ >= draws_.size()) {
    error_ = "draw " + std::to_string(next_) + ": asked for " + KindName(kind) + " but the recording has ended";
    return nullptr;
  }
  const Draw& d = draws_[next_];
  if (d.kind != kind || d.value < lo || d.value > hi) {
    error_ = "draw " + std::to_string(next_) + ": asked for " + KindName(kind) + " in [" + std::to_string(lo) +
             ", " + std::to_string(hi) + "], recorded " + KindName(d.kind) + " " + std::to_string(d.value);
    return nullptr;
  }
  ++next_;
  return &d;
}

double RecordedDraws::Uniform() {
  const Draw* d = Take(Kind::kUniform, 0.0, 1.0);
  return d ? d->value : 0.0;
}

size_t RecordedDraws::Choice(size_t n) {
  const Draw* d = Take(Kind::kChoice, 0.0, static_cast<double>(n) - 1);
  return d ? static_cast<size_t>(d->value) : 0;
}

int64_t RecordedDraws::RandInt(int64_t lo, int64_t hi) {
  const Draw* d = Take(Kind::kRandInt, static_cast<double>(lo), static_cast<double>(hi));
  return d ? static_cast<int64_t>(d->value) : lo;
}

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
  const int64_t h = in.image.size(0), w = in.image.size(1), c = in.image.size(2);
  const auto [oh, ow] = ResizedSize(h, w, size, max_size);
  ImageWithBoxes out = in;
  if (oh == h && ow == w) return out;
  const auto src = in.image.contiguous();
  out.image = torch::empty({oh, ow, c}, torch::kUInt8);
  PilBilinearResize(src.data_ptr<uint8_t>(), h, w, c, oh, ow, out.image.data_ptr<uint8_t>());
  if (in.masks.defined()) out.masks = ResizeMasksNearest(in.masks, oh, ow);
  if (in.boxes.numel() > 0) {
    // Ratios in double, then float32, as torch.as_tensor of Python floats.
    const auto rw = static_cast<float>(static_cast<double>(ow) / static_cast<double>(w));
    const auto rh = static_cast<float>(static_cast<double>(oh) / static_cast<double>(h));
    out.boxes = in.boxes * torch::tensor({rw, rh, rw, rh});
  }
  return out;
}

ImageWithBoxes Crop(const ImageWithBoxes& in, int64_t top, int64_t left, int64_t height, int64_t width) {
  ImageWithBoxes out;
  // Row copies rather than .contiguous(): a loader thread stays out of the intra-op thread pool.
  const auto src = in.image.contiguous();
  const int64_t channels = src.size(2), row_bytes = width * channels;
  out.image = torch::empty({height, width, channels}, torch::kUInt8);
  const uint8_t* s = src.data_ptr<uint8_t>() + (top * src.size(1) + left) * channels;
  uint8_t* d = out.image.data_ptr<uint8_t>();
  for (int64_t y = 0; y < height; ++y) {
    std::memcpy(d + y * row_bytes, s + y * src.size(1) * channels, static_cast<size_t>(row_bytes));
  }
  if (in.masks.defined()) {
    // Row copies, as for the image.
    const auto m = in.masks.to(torch::kBool).contiguous();
    const int64_t n = m.size(0), mh = m.size(1), mw = m.size(2);
    out.masks = torch::empty({n, height, width}, torch::kBool);
    const bool* ms = m.data_ptr<bool>();
    bool* md = out.masks.data_ptr<bool>();
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t y = 0; y < height; ++y) {
        std::memcpy(md + (k * height + y) * width, ms + (k * mh + top + y) * mw + left, static_cast<size_t>(width));
      }
    }
  }
  if (in.boxes.numel() == 0) {
    out.boxes = in.boxes;
    out.spans = in.spans;
    out.box_index = in.box_index;
    return out;
  }
  auto b = in.boxes - torch::tensor({static_cast<float>(left), static_cast<float>(top), static_cast<float>(left),
                                     static_cast<float>(top)});
  b = torch::min(b.reshape({-1, 2, 2}), torch::tensor({static_cast<float>(width), static_cast<float>(height)}))
          .clamp_min(0);
  const auto keep = (b.select(1, 1) > b.select(1, 0)).all(1);
  out.boxes = b.reshape({-1, 4}).index({keep});
  if (out.masks.defined()) out.masks = out.masks.index({keep});
  const auto keep_a = keep.accessor<bool, 1>();
  for (int64_t i = 0; i < keep.size(0); ++i) {
    if (!keep_a[i]) continue;
    out.spans.push_back(in.spans[static_cast<size_t>(i)]);
    if (!in.box_index.empty()) out.box_index.push_back(in.box_index[static_cast<size_t>(i)]);
  }
  return out;
}

ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& opt, TransformDraws& draws) {
  const auto scales = ScalesOr(opt.scales);
  auto pick = [&](const std::vector<int>& v) { return v[draws.Choice(v.size())]; };
  if (draws.Uniform() < 0.5) return Resize(in, pick(scales), opt.max_size);
  auto x = Resize(in, pick(opt.crop_pre_scales), -1);
  const int64_t h = x.image.size(0), w = x.image.size(1);
  const size_t boxes_before = x.spans.size();
  ImageWithBoxes cropped;
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Width first, then height, then top and left: the reference's order of draws.
    const int64_t cw = draws.RandInt(std::min<int64_t>(opt.crop_min, w), std::min<int64_t>(w, opt.crop_max));
    const int64_t ch = draws.RandInt(std::min<int64_t>(opt.crop_min, h), std::min<int64_t>(h, opt.crop_max));
    const int64_t top = draws.RandInt(0, h - ch), left = draws.RandInt(0, w - cw);
    cropped = Crop(x, top, left, ch, cw);
    if (cropped.spans.size() == boxes_before) break;  // keep every referred object
  }
  return Resize(cropped, pick(scales), opt.max_size);
}

ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& opt, std::mt19937_64& rng) {
  GeneratorDraws draws(rng);
  return TrainTransform(in, opt, draws);
}

ImageWithBoxes EvalTransform(const ImageWithBoxes& in, const TransformOptions& opt) {
  return Resize(in, opt.eval_size, opt.max_size);
}

torch::Tensor ToFloatChw(const torch::Tensor& image_hwc) {
  return image_hwc.permute({2, 0, 1}).to(torch::kFloat32).div(255);
}

torch::Tensor Normalize(const torch::Tensor& image) {
  static const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
  static const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
  return (image - mean) / std;
}

namespace {

// The 256 possible normalised values per channel, computed with torch's float operations.
struct NormalizationTable {
  float value[3][256];
  NormalizationTable() {
    static constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
    static constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
    for (int ch = 0; ch < 3; ++ch) {
      for (int v = 0; v < 256; ++v) value[ch][v] = (static_cast<float>(v) / 255.0f - kMean[ch]) / kStd[ch];
    }
  }
};

const NormalizationTable& Table() {
  static const NormalizationTable table;
  return table;
}

}  // namespace

void NormalizeRgbPadded(const uint8_t* rgb, int64_t h, int64_t w, float* out, int64_t out_h, int64_t out_w) {
  const auto& t = Table().value;
  const int64_t plane = out_h * out_w;
  for (int64_t y = 0; y < out_h; ++y) {
    float* r = out + y * out_w;
    float* g = r + plane;
    float* b = g + plane;
    int64_t x = 0;
    if (y < h) {
      const uint8_t* in = rgb + y * w * 3;
      for (; x < w; ++x, in += 3) {
        r[x] = t[0][in[0]];
        g[x] = t[1][in[1]];
        b[x] = t[2][in[2]];
      }
    }
    const size_t tail = static_cast<size_t>(out_w - x) * sizeof(float);
    std::memset(r + x, 0, tail);
    std::memset(g + x, 0, tail);
    std::memset(b + x, 0, tail);
  }
}

torch::Tensor NormalizedFloatChw(const torch::Tensor& image_hwc) {
  if (image_hwc.size(2) != 3) return Normalize(ToFloatChw(image_hwc));
  const auto src = image_hwc.contiguous();
  const int64_t h = src.size(0), w = src.size(1);
  auto out = torch::empty({3, h, w}, torch::kFloat32);
  NormalizeRgbPadded(src.data_ptr<uint8_t>(), h, w, out.data_ptr<float>(), h, w);
  return out;
}

torch::Tensor NormalizedCxcywh(const torch::Tensor& b, int64_t height, int64_t width) {
  if (b.numel() == 0) return torch::zeros({0, 4});
  const auto u = b.unbind(1);
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  return torch::stack({(u[0] + u[2]) / 2 / w, (u[1] + u[3]) / 2 / h, (u[2] - u[0]) / w, (u[3] - u[1]) / h}, 1);
}

}  // namespace mdetr::grounding
