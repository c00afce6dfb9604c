#include "model/nn/mdetr.h"

namespace mdetr::model {

MdetrImpl::MdetrImpl(const config::ModelConfig& cfg, bool train_backbone) : cfg_(cfg) {
  const int64_t d = cfg.hidden_dim;
  transformer_ = register_module("transformer", Transformer(cfg));
  class_embed_ = register_module("class_embed", torch::nn::Linear(d, kNumTokenSlots));
  if (cfg.predict_final) isfinal_embed_ = register_module("isfinal_embed", torch::nn::Linear(d, 1));
  bbox_embed_ = register_module("bbox_embed", Mlp(d, d, 4, 3));
  query_embed_ = register_module("query_embed", torch::nn::Embedding(cfg.num_queries, d));
  if (!cfg.qa_dataset.empty()) {
    const int64_t slots = cfg.split_qa_heads ? (cfg.qa_dataset == "gqa" ? 6 : 4) : 1;
    qa_embed_ = register_module("qa_embed", torch::nn::Embedding(slots, d));
    num_qa_slots_ = slots;
  }
  auto backbone = Backbone(cfg.backbone, train_backbone, cfg.masks, cfg.dilation, cfg.backbone_norm == "batch");
  input_proj_ = register_module("input_proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(backbone->num_channels(), d, 1)));
  backbone_ = register_module("backbone", Joiner(backbone, PositionEmbeddingSine(d / 2)));
  if (cfg.contrastive_loss) {
    contrastive_image_ = register_module("contrastive_projection_image",
                                         torch::nn::Linear(torch::nn::LinearOptions(d, cfg.contrastive_hdim).bias(false)));
    contrastive_text_ = register_module(
        "contrastive_projection_text",
        torch::nn::Linear(torch::nn::LinearOptions(cfg.text_encoder.hidden_size, cfg.contrastive_hdim).bias(false)));
  }
  if (cfg.contrastive_align_loss) {
    align_image_ = register_module("contrastive_align_projection_image", torch::nn::Linear(d, cfg.contrastive_hdim));
    align_text_ = register_module("contrastive_align_projection_text", torch::nn::Linear(d, cfg.contrastive_hdim));
  }
  auto add_head = [&](const std::string& name, torch::nn::AnyModule head) {
    register_module(name, head.ptr());
    answer_heads_.emplace_back(name.substr(0, name.size() - 5), std::move(head));  // strip "_head"
  };
  if (cfg.qa_dataset == "gqa" && cfg.split_qa_heads) {
    // Slot order of the released GQA checkpoints: type, obj, rel, attr, cat, global.
    add_head("answer_type_head", torch::nn::AnyModule(torch::nn::Linear(d, 5)));
    add_head("answer_obj_head", torch::nn::AnyModule(torch::nn::Linear(d, 3)));
    add_head("answer_rel_head", torch::nn::AnyModule(torch::nn::Linear(d, 1594)));
    add_head("answer_attr_head", torch::nn::AnyModule(torch::nn::Linear(d, 403)));
    add_head("answer_cat_head", torch::nn::AnyModule(torch::nn::Linear(d, 678)));
    add_head("answer_global_head", torch::nn::AnyModule(torch::nn::Linear(d, 111)));
  } else if (cfg.qa_dataset == "gqa") {
    add_head("answer_head", torch::nn::AnyModule(torch::nn::Linear(d, 1853)));
  } else if (cfg.qa_dataset == "clevr") {
    TORCH_CHECK(cfg.split_qa_heads, "CLEVR QA needs split_qa_heads (as in the reference)");
    add_head("answer_type_head", torch::nn::AnyModule(torch::nn::Linear(d, 3)));
    add_head("answer_binary_head", torch::nn::AnyModule(torch::nn::Linear(d, 1)));
    add_head("answer_reg_head", torch::nn::AnyModule(Mlp(d, d, 20, 3)));
    add_head("answer_attr_head", torch::nn::AnyModule(torch::nn::Linear(d, 15)));
  }
}

MemoryCache MdetrImpl::Encode(const NestedTensor& images, const TextBatch& text) {
  last_backbone_ = backbone_->forward(images);
  const auto& top = last_backbone_.features.back();
  auto query = query_embed_->weight;
  if (qa_embed_) query = torch::cat({query, qa_embed_->weight}, 0);
  last_src_proj_ = input_proj_(top.tensors);
  auto cache = transformer_->Encode(last_src_proj_, top.mask, last_backbone_.pos.back(), query, text);
  return cache;
}

MdetrOutputs MdetrImpl::Decode(const MemoryCache& cache) {
  auto hs = transformer_->Decode(cache);  // [L,B,Q(+qa),D]
  MdetrOutputs out;
  if (num_qa_slots_ > 0) {
    // The QA heads read the FIRST decoder layer (hs[0]), as the released checkpoints were trained.
    const auto answer_embeds = hs[0].narrow(1, hs.size(2) - num_qa_slots_, num_qa_slots_);
    hs = hs.narrow(2, 0, hs.size(2) - num_qa_slots_);
    for (size_t i = 0; i < answer_heads_.size(); ++i) {
      auto pred = answer_heads_[i].second.forward(answer_embeds.select(1, static_cast<int64_t>(i)));
      if (answer_heads_[i].first == "answer_binary") pred = pred.squeeze(-1);
      out.answers[answer_heads_[i].first] = pred;
    }
  }
  out.hs = hs;
  out.pred_logits = class_embed_(hs);
  out.pred_boxes = bbox_embed_(hs).sigmoid();
  if (isfinal_embed_) out.pred_isfinal = isfinal_embed_(hs);
  if (align_image_) {
    out.proj_queries = torch::nn::functional::normalize(
        align_image_(hs), torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
    out.proj_tokens = torch::nn::functional::normalize(align_text_(cache.text_memory).transpose(0, 1),
                                                       torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
  }
  return out;
}

}  // namespace mdetr::model
