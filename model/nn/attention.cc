#include "model/nn/attention.h"

namespace mdetr::model {

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout) {
  TORCH_CHECK(embed_dim % num_heads == 0, "embed_dim ", embed_dim, " is not divisible by num_heads ", num_heads);
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * embed_dim, embed_dim}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * embed_dim}));
  out_proj = register_module("out_proj", torch::nn::Linear(embed_dim, embed_dim));
  torch::nn::init::xavier_uniform_(in_proj_weight);
  torch::nn::init::zeros_(out_proj->bias);
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key,
                                              const torch::Tensor& value, const torch::Tensor& key_padding_mask) {
  const int64_t lq = query.size(0), b = query.size(1), lk = key.size(0);
  const int64_t hd = embed_dim_ / num_heads_;
  const auto w = in_proj_weight.chunk(3, 0);
  const auto bias = in_proj_bias.chunk(3, 0);
  // [L,B,E] -> [B,H,L,hd]
  auto heads = [&](const torch::Tensor& t, int64_t len) {
    return t.reshape({len, b * num_heads_, hd}).transpose(0, 1).reshape({b, num_heads_, len, hd});
  };
  auto q = heads(torch::nn::functional::linear(query, w[0], bias[0]), lq);
  auto k = heads(torch::nn::functional::linear(key, w[1], bias[1]), lk);
  auto v = heads(torch::nn::functional::linear(value, w[2], bias[2]), lk);
  std::optional<torch::Tensor> attn_mask;
  if (key_padding_mask.defined()) {
    attn_mask = key_padding_mask.logical_not().view({b, 1, 1, lk});  // true = attend
  }
  auto out = at::scaled_dot_product_attention(q, k, v, attn_mask, is_training() ? dropout_ : 0.0);
  out = out.reshape({b * num_heads_, lq, hd}).transpose(0, 1).reshape({lq, b, embed_dim_});
  return out_proj(out);
}

}  // namespace mdetr::model
