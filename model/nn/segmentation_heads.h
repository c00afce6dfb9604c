// The two modules the segmentation model adds on top of the detector, with the reference's names
// (models/segmentation.py): an attention map of each object query over the encoder's image memory
// (`bbox_attention`: q_linear, k_linear) and a small FPN-style convolutional head that turns the
// maps into one mask per query (`mask_head`: lay1..lay5, gn1..gn5, out_lay, adapter1..3).
#pragma once

#include <vector>

#include <torch/torch.h>

namespace mdetr::model {

// Multi-head attention weights only (no values, no output projection): softmax over the h*w
// positions of q.k / sqrt(hidden_dim / heads), padded positions excluded.
class AttentionMapImpl : public torch::nn::Module {
 public:
  AttentionMapImpl(int64_t query_dim, int64_t hidden_dim, int64_t num_heads);
  // q [B,Q,query_dim], k [B,query_dim,h,w], mask [B,h,w] (true = padding) -> [B,Q,heads,h,w].
  torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& mask);

 private:
  int64_t num_heads_;
  int64_t hidden_dim_;
  double normalize_fact_;
  torch::nn::Linear q_linear_{nullptr}, k_linear_{nullptr};
};
TORCH_MODULE(AttentionMap);

// Five 3x3 conv + group norm (8 groups) + ReLU stages at the widths dim, context/2, /4, /8, /16,
// upsampled (nearest) from stride 32 to stride 4 and added to 1x1-adapted backbone features at
// strides 16, 8 and 4; a last 3x3 conv gives one logit per pixel.
class MaskHeadSmallConvImpl : public torch::nn::Module {
 public:
  // fpn_dims: channels of the stride-16, -8 and -4 backbone features, in that order.
  MaskHeadSmallConvImpl(int64_t dim, const std::vector<int64_t>& fpn_dims, int64_t context_dim);
  // x [B,C,h,w] projected top features, bbox_mask [B,Q,heads,h,w], fpns (stride 16, 8, 4, batch B)
  // -> [B*Q,1,H/4,W/4] mask logits.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bbox_mask,
                        const std::vector<torch::Tensor>& fpns);

 private:
  torch::nn::Conv2d lay1_{nullptr}, lay2_{nullptr}, lay3_{nullptr}, lay4_{nullptr}, lay5_{nullptr},
      out_lay_{nullptr};
  torch::nn::GroupNorm gn1_{nullptr}, gn2_{nullptr}, gn3_{nullptr}, gn4_{nullptr}, gn5_{nullptr};
  torch::nn::Conv2d adapter1_{nullptr}, adapter2_{nullptr}, adapter3_{nullptr};
};
TORCH_MODULE(MaskHeadSmallConv);

}  // namespace mdetr::model
