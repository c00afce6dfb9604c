#include "model/nn/transformer_layers.h"

namespace mdetr::model {
namespace {
torch::nn::LayerNorm Norm(int64_t d) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)); }
}  // namespace

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout) {
  self_attn_ = register_module("self_attn", MultiheadAttention(d_model, nhead, dropout));
  linear1_ = register_module("linear1", torch::nn::Linear(d_model, dim_feedforward));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
  linear2_ = register_module("linear2", torch::nn::Linear(dim_feedforward, d_model));
  norm1_ = register_module("norm1", Norm(d_model));
  norm2_ = register_module("norm2", Norm(d_model));
  dropout1_ = register_module("dropout1", torch::nn::Dropout(dropout));
  dropout2_ = register_module("dropout2", torch::nn::Dropout(dropout));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& src, const torch::Tensor& key_padding_mask,
                                        const torch::Tensor& pos) {
  const auto qk = src + pos;
  auto x = norm1_(src + dropout1_(self_attn_(qk, qk, src, key_padding_mask)));
  return norm2_(x + dropout2_(linear2_(dropout_(torch::relu(linear1_(x))))));
}

DecoderLayerImpl::DecoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward, double dropout) {
  self_attn_ = register_module("self_attn", MultiheadAttention(d_model, nhead, dropout));
  cross_attn_image_ = register_module("cross_attn_image", MultiheadAttention(d_model, nhead, dropout));
  linear1_ = register_module("linear1", torch::nn::Linear(d_model, dim_feedforward));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
  linear2_ = register_module("linear2", torch::nn::Linear(dim_feedforward, d_model));
  norm1_ = register_module("norm1", Norm(d_model));
  norm3_ = register_module("norm3", Norm(d_model));
  norm4_ = register_module("norm4", Norm(d_model));
  dropout1_ = register_module("dropout1", torch::nn::Dropout(dropout));
  dropout3_ = register_module("dropout3", torch::nn::Dropout(dropout));
  dropout4_ = register_module("dropout4", torch::nn::Dropout(dropout));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& tgt, const torch::Tensor& memory,
                                        const torch::Tensor& memory_key_padding_mask, const torch::Tensor& pos,
                                        const torch::Tensor& query_pos) {
  const auto qk = tgt + query_pos;
  auto t = norm1_(tgt + dropout1_(self_attn_(qk, qk, tgt)));
  t = norm3_(t + dropout3_(cross_attn_image_(t + query_pos, memory + pos, memory, memory_key_padding_mask)));
  return norm4_(t + dropout4_(linear2_(dropout_(torch::relu(linear1_(t))))));
}

}  // namespace mdetr::model
