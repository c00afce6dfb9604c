#include "datasets/grounding/collate.h"

#include <cstring>

namespace mdetr::grounding {
namespace {

// One image [3,h,w] into the top-left corner of `dst` [3,max_h,max_w], zeros elsewhere: plain row
// copies, so a loader thread never enters the intra-op thread pool the trainer is using.
void CopyPadded(const torch::Tensor& image, const torch::Tensor& dst, int64_t h, int64_t w, int64_t max_h,
                int64_t max_w) {
  const auto src = image.contiguous();
  const float* in = src.data_ptr<float>();
  float* out = dst.data_ptr<float>();
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t y = 0; y < max_h; ++y) {
      float* row = out + (c * max_h + y) * max_w;
      if (y < h) {
        std::memcpy(row, in + (c * h + y) * w, static_cast<size_t>(w) * sizeof(float));
        std::memset(row + w, 0, static_cast<size_t>(max_w - w) * sizeof(float));
      } else {
        std::memset(row, 0, static_cast<size_t>(max_w) * sizeof(float));
      }
    }
  }
}

}  // namespace

Batch Collate(std::vector<Sample> samples, int64_t pad_id, bool pin_memory) {
  Batch b;
  const int64_t n = static_cast<int64_t>(samples.size());
  int64_t max_h = 0, max_w = 0, max_t = 0;
  for (const auto& s : samples) {
    max_h = std::max(max_h, s.image.size(1));
    max_w = std::max(max_w, s.image.size(2));
    max_t = std::max(max_t, s.encoding.size());
  }
  const auto opts = torch::TensorOptions().pinned_memory(pin_memory);
  // Written once: each image into its corner, zeros only where it is padded.
  b.images = torch::empty({n, 3, max_h, max_w}, opts.dtype(torch::kFloat32));
  b.mask = torch::ones({n, max_h, max_w}, opts.dtype(torch::kBool));
  b.input_ids = torch::full({n, max_t}, pad_id, opts.dtype(torch::kInt64));
  b.attention_mask = torch::zeros({n, max_t}, opts.dtype(torch::kInt64));
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    const int64_t h = s.image.size(1), w = s.image.size(2), t = s.encoding.size();
    CopyPadded(s.image, b.images[i], h, w, max_h, max_w);
    b.mask[i].narrow(0, 0, h).narrow(1, 0, w).fill_(false);
    b.input_ids[i].narrow(0, 0, t).copy_(torch::tensor(s.encoding.ids, torch::kInt64));
    b.attention_mask[i].narrow(0, 0, t).fill_(1);
  }
  b.samples = std::move(samples);
  return b;
}

Batch ToDevice(Batch batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  batch.images = batch.images.to(device, /*non_blocking=*/true);
  batch.mask = batch.mask.to(device, /*non_blocking=*/true);
  batch.input_ids = batch.input_ids.to(device, /*non_blocking=*/true);
  batch.attention_mask = batch.attention_mask.to(device, /*non_blocking=*/true);
  return batch;
}

}  // namespace mdetr::grounding
