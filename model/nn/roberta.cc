#include "model/nn/roberta.h"

#include <cmath>

namespace mdetr::model {
namespace {
torch::nn::LayerNorm Norm(int64_t d) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)); }
}  // namespace

RobertaLayerImpl::RobertaLayerImpl(int64_t hidden, int64_t heads, int64_t intermediate, double dropout)
    : heads_(heads), dropout_(dropout) {
  auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
  auto self = attention->register_module("self", std::make_shared<torch::nn::Module>());
  query_ = self->register_module("query", torch::nn::Linear(hidden, hidden));
  key_ = self->register_module("key", torch::nn::Linear(hidden, hidden));
  value_ = self->register_module("value", torch::nn::Linear(hidden, hidden));
  auto attn_output = attention->register_module("output", std::make_shared<torch::nn::Module>());
  attn_out_ = attn_output->register_module("dense", torch::nn::Linear(hidden, hidden));
  attn_norm_ = attn_output->register_module("LayerNorm", Norm(hidden));
  auto inter = register_module("intermediate", std::make_shared<torch::nn::Module>());
  inter_ = inter->register_module("dense", torch::nn::Linear(hidden, intermediate));
  auto output = register_module("output", std::make_shared<torch::nn::Module>());
  out_ = output->register_module("dense", torch::nn::Linear(intermediate, hidden));
  out_norm_ = output->register_module("LayerNorm", Norm(hidden));
  hidden_dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor RobertaLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask) {
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2), hd = h / heads_;
  auto split = [&](const torch::Tensor& y) { return y.view({b, t, heads_, hd}).transpose(1, 2); };
  auto ctx = at::scaled_dot_product_attention(split(query_(x)), split(key_(x)), split(value_(x)), attn_mask,
                                              is_training() ? dropout_ : 0.0);
  ctx = ctx.transpose(1, 2).reshape({b, t, h});
  auto a = attn_norm_(hidden_dropout_(attn_out_(ctx)) + x);
  auto i = torch::gelu(inter_(a));
  return out_norm_(hidden_dropout_(out_(i)) + a);
}

RobertaModelImpl::RobertaModelImpl(const config::TextEncoderConfig& cfg, double dropout) : hidden_(cfg.hidden_size) {
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  word_ = embeddings->register_module(
      "word_embeddings", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.vocab_size, hidden_).padding_idx(kPadId)));
  position_ = embeddings->register_module(
      "position_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.max_positions, hidden_).padding_idx(kPadId)));
  token_type_ = embeddings->register_module("token_type_embeddings", torch::nn::Embedding(1, hidden_));
  emb_norm_ = embeddings->register_module("LayerNorm", Norm(hidden_));
  emb_dropout_ = embeddings->register_module("dropout", torch::nn::Dropout(dropout));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  auto layer_list = encoder->register_module("layer", torch::nn::ModuleList());
  for (int i = 0; i < cfg.num_layers; ++i) {
    layers_.push_back(RobertaLayer(hidden_, cfg.num_heads, cfg.intermediate_size, dropout));
    layer_list->push_back(layers_.back());
  }
  auto pooler = register_module("pooler", std::make_shared<torch::nn::Module>());
  pooler_ = pooler->register_module("dense", torch::nn::Linear(hidden_, hidden_));
  InitLikeHuggingFace();
}

void RobertaModelImpl::InitLikeHuggingFace() {
  // Hugging Face's RobertaPreTrainedModel._init_weights (initializer_range 0.02), so that an encoder trained
  // from scratch starts where the reference's would; pretrained weights overwrite all of it.
  constexpr double kInitStd = 0.02;
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      linear->weight.normal_(0.0, kInitStd);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* embedding = module->as<torch::nn::EmbeddingImpl>()) {
      embedding->weight.normal_(0.0, kInitStd);
      if (embedding->options.padding_idx()) embedding->weight[*embedding->options.padding_idx()].zero_();
    }
  }
}

RobertaOutput RobertaModelImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  const auto not_pad = input_ids.ne(kPadId).to(torch::kInt64);
  const auto position_ids = not_pad.cumsum(1) * not_pad + kPadId;
  auto x = word_(input_ids) + position_(position_ids) + token_type_(torch::zeros_like(input_ids));
  x = emb_dropout_(emb_norm_(x));
  const auto attn_mask = attention_mask.to(torch::kBool).view({input_ids.size(0), 1, 1, input_ids.size(1)});
  for (auto& layer : layers_) x = layer->forward(x, attn_mask);
  auto pooled = torch::tanh(pooler_(x.select(1, 0)));
  return {x, pooled};
}

}  // namespace mdetr::model
