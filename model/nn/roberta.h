// RoBERTa in the Hugging Face layout (embeddings / encoder.layer.N / pooler), so the weights of
// roberta-base, roberta-large, distilroberta-base and the MDETR checkpoints load by name.
// Position ids follow RoBERTa: cumsum over non-pad tokens, offset by the pad id (first token = 2).
#pragma once

#include <torch/torch.h>

#include "common/config/experiment.h"

namespace mdetr::model {

struct RobertaOutput {
  torch::Tensor last_hidden_state;  // [B,T,H]
  torch::Tensor pooler_output;      // [B,H], tanh(dense(h_<s>))
};

class RobertaLayerImpl : public torch::nn::Module {
 public:
  RobertaLayerImpl(int64_t hidden, int64_t heads, int64_t intermediate, double dropout);
  // attn_mask: [B,1,1,T] bool, true = attend.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask);

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attn_out_{nullptr}, inter_{nullptr},
      out_{nullptr};
  torch::nn::LayerNorm attn_norm_{nullptr}, out_norm_{nullptr};
  torch::nn::Dropout hidden_dropout_{nullptr};
};
TORCH_MODULE(RobertaLayer);

class RobertaModelImpl : public torch::nn::Module {
 public:
  explicit RobertaModelImpl(const config::TextEncoderConfig& cfg, double dropout = 0.1);
  // input_ids, attention_mask: [B,T] int64 (mask 1 = token, 0 = pad).
  RobertaOutput forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);
  int64_t hidden_size() const { return hidden_; }

  static constexpr int64_t kPadId = 1;

 private:
  void InitLikeHuggingFace();

  int64_t hidden_;
  torch::nn::Embedding word_{nullptr}, position_{nullptr}, token_type_{nullptr};
  torch::nn::LayerNorm emb_norm_{nullptr};
  torch::nn::Dropout emb_dropout_{nullptr};
  std::vector<RobertaLayer> layers_;
  torch::nn::Linear pooler_{nullptr};
};
TORCH_MODULE(RobertaModel);

}  // namespace mdetr::model
