// MDETR's transformer: RoBERTa text encoder + resizer, a joint encoder over image and text tokens
// and a decoder over the joint memory. Split in two calls like the reference: Encode() returns a
// memory cache (image/text encoded once), Decode() runs the decoder on it.
#pragma once

#include <torch/torch.h>

#include "common/config/experiment.h"
#include "model/nn/roberta.h"
#include "model/nn/transformer_layers.h"

namespace mdetr::model {

struct TextBatch {
  torch::Tensor input_ids;       // [B,T] int64
  torch::Tensor attention_mask;  // [B,T] int64, 1 = token, 0 = pad
};

struct MemoryCache {
  torch::Tensor text_memory_resized;  // [T,B,D] resizer output (before the joint encoder)
  torch::Tensor text_memory;          // [T,B,D] joint-encoder output at the text positions
  torch::Tensor img_memory;           // [HW+T,B,D] the whole joint-encoder output
  torch::Tensor text_pooled;          // [B,H] RoBERTa pooler output
  torch::Tensor mask;                 // [B,HW+T] bool, true = padding
  torch::Tensor text_attention_mask;  // [B,T] bool, true = padding
  torch::Tensor pos_embed;            // [HW+T,B,D], zeros on the text positions
  torch::Tensor query_embed;          // [Q,B,D]
  torch::Tensor text_hidden;          // [B,T,H] RoBERTa last hidden state (for parity checks)
};

class FeatureResizerImpl : public torch::nn::Module {
 public:
  FeatureResizerImpl(int64_t in, int64_t out, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc_{nullptr};
  torch::nn::LayerNorm layer_norm_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(FeatureResizer);

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const config::ModelConfig& cfg);

  // src [B,D,h,w] (projected features), mask [B,h,w], pos [B,D,h,w], query_embed [Q,D].
  MemoryCache Encode(const torch::Tensor& src, const torch::Tensor& mask, const torch::Tensor& pos,
                     const torch::Tensor& query_embed, const TextBatch& text);
  // Returns the decoder stack [L,B,Q,D] (each layer through the shared final norm).
  torch::Tensor Decode(const MemoryCache& cache);

  int64_t d_model() const { return d_model_; }
  RobertaModel text_encoder() const { return text_encoder_; }

 private:
  int64_t d_model_;
  std::vector<EncoderLayer> encoder_layers_;
  std::vector<DecoderLayer> decoder_layers_;
  torch::nn::LayerNorm decoder_norm_{nullptr};
  RobertaModel text_encoder_{nullptr};
  FeatureResizer resizer_{nullptr};
};
TORCH_MODULE(Transformer);

}  // namespace mdetr::model
