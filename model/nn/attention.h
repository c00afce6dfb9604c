// Multi-head attention with the parameter layout of torch.nn.MultiheadAttention (in_proj_weight
// [3E,E] = [Wq;Wk;Wv], in_proj_bias, out_proj), sequence-first [L,B,E] like the reference, computed
// with scaled_dot_product_attention (the reference's math, one fused kernel). Only key padding
// masks are supported: MDETR uses no other attention mask.
#pragma once

#include <torch/torch.h>

namespace mdetr::model {

class MultiheadAttentionImpl : public torch::nn::Module {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout);
  // query [Lq,B,E], key/value [Lk,B,E]; key_padding_mask [B,Lk] bool, true = ignore. Returns [Lq,B,E].
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key, const torch::Tensor& value,
                        const torch::Tensor& key_padding_mask = {});

  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t embed_dim_, num_heads_;
  double dropout_;
};
TORCH_MODULE(MultiheadAttention);

}  // namespace mdetr::model
