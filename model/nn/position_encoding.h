// 2-D sine position encoding of DETR (normalised, scale 2*pi, temperature 10000): the first half of
// the channels encodes y, the second half x, with interleaved sin/cos pairs sharing a frequency.
#pragma once

#include <torch/torch.h>

namespace mdetr::model {

class PositionEmbeddingSineImpl : public torch::nn::Module {
 public:
  explicit PositionEmbeddingSineImpl(int64_t num_pos_feats = 128, double temperature = 10000.0);
  // mask: [B,H,W] bool, true on padding. Returns [B, 2*num_pos_feats, H, W] float32.
  torch::Tensor forward(const torch::Tensor& mask);

 private:
  int64_t num_pos_feats_;
  double temperature_;
};
TORCH_MODULE(PositionEmbeddingSine);

}  // namespace mdetr::model
