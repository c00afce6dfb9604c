#include "datasets/grounding/collate.h"

namespace mdetr::grounding {

Batch Collate(std::vector<Sample> samples, int64_t pad_id) {
  Batch b;
  const int64_t n = static_cast<int64_t>(samples.size());
  int64_t max_h = 0, max_w = 0, max_t = 0;
  for (const auto& s : samples) {
    max_h = std::max(max_h, s.image.size(1));
    max_w = std::max(max_w, s.image.size(2));
    max_t = std::max(max_t, s.encoding.size());
  }
  b.images = torch::zeros({n, 3, max_h, max_w});
  b.mask = torch::ones({n, max_h, max_w}, torch::kBool);
  b.input_ids = torch::full({n, max_t}, pad_id, torch::kInt64);
  b.attention_mask = torch::zeros({n, max_t}, torch::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<size_t>(i)];
    const int64_t h = s.image.size(1), w = s.image.size(2), t = s.encoding.size();
    b.images[i].narrow(1, 0, h).narrow(2, 0, w).copy_(s.image);
    b.mask[i].narrow(0, 0, h).narrow(1, 0, w).fill_(false);
    b.input_ids[i].narrow(0, 0, t).copy_(torch::tensor(s.encoding.ids, torch::kInt64));
    b.attention_mask[i].narrow(0, 0, t).fill_(1);
  }
  b.samples = std::move(samples);
  return b;
}

}  // namespace mdetr::grounding
