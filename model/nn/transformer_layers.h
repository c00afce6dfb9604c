// The post-norm DETR encoder and decoder layers as MDETR uses them. The decoder layer has no
// cross-attention to text (the reference commented it out), hence its norm1/norm3/norm4 names;
// its "image" cross-attention reads the whole joint memory (image and text tokens).
#pragma once

#include <torch/torch.h>

#include "model/nn/attention.h"

namespace mdetr::model {

class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout);
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& key_padding_mask, const torch::Tensor& pos);

 private:
  MultiheadAttention self_attn_{nullptr};
  torch::nn::Linear linear1_{nullptr}, linear2_{nullptr};
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Dropout dropout_{nullptr}, dropout1_{nullptr}, dropout2_{nullptr};
};
TORCH_MODULE(EncoderLayer);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout);
  torch::Tensor forward(const torch::Tensor& tgt, const torch::Tensor& memory,
                        const torch::Tensor& memory_key_padding_mask, const torch::Tensor& pos,
                        const torch::Tensor& query_pos);

 private:
  MultiheadAttention self_attn_{nullptr}, cross_attn_image_{nullptr};
  torch::nn::Linear linear1_{nullptr}, linear2_{nullptr};
  torch::nn::LayerNorm norm1_{nullptr}, norm3_{nullptr}, norm4_{nullptr};
  torch::nn::Dropout dropout_{nullptr}, dropout1_{nullptr}, dropout3_{nullptr}, dropout4_{nullptr};
};
TORCH_MODULE(DecoderLayer);

}  // namespace mdetr::model
