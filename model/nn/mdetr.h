// The MDETR detector: backbone + joint transformer + heads, with the reference's attribute names
// (backbone, transformer, class_embed, bbox_embed, query_embed, input_proj, qa_embed,
// contrastive_align_projection_image/_text, answer_*_head, isfinal_embed).
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "common/config/experiment.h"
#include "model/nn/backbone.h"
#include "model/nn/mlp.h"
#include "model/nn/transformer.h"

namespace mdetr::model {

// Outputs of every decoder layer; the last layer is the prediction, the others feed the
// auxiliary losses.
struct MdetrOutputs {
  torch::Tensor pred_logits;   // [L,B,Q,256] soft-token logits (index 255 = no object)
  torch::Tensor pred_boxes;    // [L,B,Q,4] cx,cy,w,h in [0,1]
  torch::Tensor proj_queries;  // [L,B,Q,C] L2-normalised (contrastive alignment), if enabled
  torch::Tensor proj_tokens;   // [B,T,C] L2-normalised, if enabled
  torch::Tensor pred_isfinal;  // [L,B,Q,1], if enabled
  std::map<std::string, torch::Tensor> answers;  // QA heads: "answer_type", "answer_obj", ...
  torch::Tensor hs;            // [L,B,Q,D] decoder states (object queries only)
  torch::Tensor pred_masks;    // [B,Q,H/4,W/4] mask logits of the last layer (segmentation model only)

  torch::Tensor logits() const { return pred_logits[-1]; }
  torch::Tensor boxes() const { return pred_boxes[-1]; }
};

class MdetrImpl : public torch::nn::Module {
 public:
  explicit MdetrImpl(const config::ModelConfig& cfg, bool train_backbone = true);

  MemoryCache Encode(const NestedTensor& images, const TextBatch& text);
  MdetrOutputs Decode(const MemoryCache& cache);
  MdetrOutputs forward(const NestedTensor& images, const TextBatch& text) { return Decode(Encode(images, text)); }

  const config::ModelConfig& config() const { return cfg_; }
  Joiner backbone() const { return backbone_; }
  Transformer transformer() const { return transformer_; }
  // Features of the last Encode (for the segmentation head and parity checks).
  const BackboneOutput& last_backbone_output() const { return last_backbone_; }
  // The projected top feature map of the last Encode [B,D,h,w] (the mask head's input).
  const torch::Tensor& last_src_proj() const { return last_src_proj_; }

  static constexpr int64_t kNumTokenSlots = 256;  // 255 token positions + "no object"

 private:
  config::ModelConfig cfg_;
  Joiner backbone_{nullptr};
  Transformer transformer_{nullptr};
  torch::nn::Linear class_embed_{nullptr};
  Mlp bbox_embed_{nullptr};
  torch::nn::Embedding query_embed_{nullptr}, qa_embed_{nullptr};
  torch::nn::Conv2d input_proj_{nullptr};
  torch::nn::Linear align_image_{nullptr}, align_text_{nullptr};
  torch::nn::Linear contrastive_image_{nullptr}, contrastive_text_{nullptr};
  torch::nn::Linear isfinal_embed_{nullptr};
  std::vector<std::pair<std::string, torch::nn::AnyModule>> answer_heads_;  // in QA slot order
  int64_t num_qa_slots_ = 0;
  BackboneOutput last_backbone_;
  torch::Tensor last_src_proj_;
};
TORCH_MODULE(Mdetr);

}  // namespace mdetr::model
