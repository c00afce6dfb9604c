#include "model/nn/transformer.h"

namespace mdetr::model {

FeatureResizerImpl::FeatureResizerImpl(int64_t in, int64_t out, double dropout) {
  fc_ = register_module("fc", torch::nn::Linear(in, out));
  // eps 1e-12, unlike every other LayerNorm of the model (1e-5): the reference's choice.
  layer_norm_ = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}).eps(1e-12)));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor FeatureResizerImpl::forward(const torch::Tensor& x) { return dropout_(layer_norm_(fc_(x))); }

TransformerImpl::TransformerImpl(const config::ModelConfig& cfg) : d_model_(cfg.hidden_dim) {
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  auto enc_list = encoder->register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < cfg.enc_layers; ++i) {
    encoder_layers_.push_back(EncoderLayer(d_model_, cfg.nheads, cfg.dim_feedforward, cfg.dropout));
    enc_list->push_back(encoder_layers_.back());
  }
  auto decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
  auto dec_list = decoder->register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < cfg.dec_layers; ++i) {
    decoder_layers_.push_back(DecoderLayer(d_model_, cfg.nheads, cfg.dim_feedforward, cfg.dropout));
    dec_list->push_back(decoder_layers_.back());
  }
  decoder_norm_ = decoder->register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model_})));
  // The reference Xavier-initialises every >=2-D parameter of the DETR part before attaching the
  // (pretrained) text encoder and the resizer.
  for (auto& p : parameters()) {
    if (p.dim() > 1) torch::nn::init::xavier_uniform_(p);
  }
  text_encoder_ = register_module("text_encoder", RobertaModel(cfg.text_encoder, cfg.text_encoder.dropout));
  if (cfg.text_encoder.freeze) {
    for (auto& p : text_encoder_->parameters()) p.set_requires_grad(false);
  }
  resizer_ = register_module("resizer", FeatureResizer(cfg.text_encoder.hidden_size, d_model_, cfg.text_encoder.dropout));
}

MemoryCache TransformerImpl::Encode(const torch::Tensor& src_in, const torch::Tensor& mask_in,
                                    const torch::Tensor& pos_in, const torch::Tensor& query_embed_in,
                                    const TextBatch& text) {
  const int64_t bs = src_in.size(0);
  auto src = src_in.flatten(2).permute({2, 0, 1});
  auto pos = pos_in.flatten(2).permute({2, 0, 1});
  auto query_embed = query_embed_in.unsqueeze(1).repeat({1, bs, 1});
  auto mask = mask_in.flatten(1);

  MemoryCache cache;
  auto encoded = text_encoder_->forward(text.input_ids, text.attention_mask);
  cache.text_hidden = encoded.last_hidden_state;
  cache.text_pooled = encoded.pooler_output;
  cache.text_attention_mask = text.attention_mask.ne(1);
  cache.text_memory_resized = resizer_(encoded.last_hidden_state.transpose(0, 1));

  src = torch::cat({src, cache.text_memory_resized}, 0);
  mask = torch::cat({mask, cache.text_attention_mask}, 1);
  pos = torch::cat({pos, torch::zeros_like(cache.text_memory_resized)}, 0);
  auto memory = src;
  for (auto& layer : encoder_layers_) memory = layer->forward(memory, mask, pos);

  const int64_t t = cache.text_memory_resized.size(0);
  cache.text_memory = memory.narrow(0, memory.size(0) - t, t);
  cache.img_memory = memory;
  cache.mask = mask;
  cache.pos_embed = pos;
  cache.query_embed = query_embed;
  return cache;
}

torch::Tensor TransformerImpl::Decode(const MemoryCache& cache) {
  auto tgt = torch::zeros_like(cache.query_embed);
  std::vector<torch::Tensor> intermediate;
  for (auto& layer : decoder_layers_) {
    tgt = layer->forward(tgt, cache.img_memory, cache.mask, cache.pos_embed, cache.query_embed);
    intermediate.push_back(decoder_norm_(tgt));
  }
  return torch::stack(intermediate).transpose(1, 2);
}

}  // namespace mdetr::model
