#include "datasets/grounding/collate.h"

namespace mdetr::grounding {

Batch Collate(std::vector<Sample> samples, int64_t pad_id, bool pin_memory) {
  Batch b;
  const int64_t n = static_cast<int64_t>(samples.size());
  int64_t max_h = 0, max_w = 0, max_t = 0;
  for (const auto& s : samples) {
    max_h = std::max(max_h, s.height());
    max_w = std::max(max_w, s.width());
    max_t = std::max(max_t, s.encoding.size());
  }
  const auto opts = torch::TensorOptions().pinned_memory(pin_memory);
  // Written once, straight from the 8-bit pixels: each normalised image into its corner, zeros
  // where it is padded. Plain loops, so a loader thread never enters the intra-op thread pool the
  // trainer is using.
  b.images = torch::empty({n, 3, max_h, max_w}, opts.dtype(torch::kFloat32));
  b.mask = torch::ones({n, max_h, max_w}, opts.dtype(torch::kBool));
  b.input_ids = torch::full({n, max_t}, pad_id, opts.dtype(torch::kInt64));
  b.attention_mask = torch::zeros({n, max_t}, opts.dtype(torch::kInt64));
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    const int64_t h = s.height(), w = s.width(), t = s.encoding.size();
    TORCH_CHECK(s.pixels.scalar_type() == torch::kUInt8 && s.pixels.dim() == 3 && s.pixels.size(2) == 3 &&
                    s.pixels.is_contiguous(),
                "Collate: sample ", s.index, " needs contiguous 8-bit RGB pixels [H,W,3], got ", s.pixels.sizes());
    NormalizeRgbPadded(s.pixels.data_ptr<uint8_t>(), h, w, b.images[i].data_ptr<float>(), max_h, max_w);
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
