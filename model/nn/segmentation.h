// MDETR for referring segmentation (PhraseCut): the detector wrapped as `detr` with an attention
// map and a mask head on top, as the reference's DETRsegm, so the released phrasecut checkpoints'
// keys (detr.backbone..., bbox_attention.q_linear.weight, mask_head.lay1.weight, ...) load as they
// are. Adds pred_masks [B,Q,H/4,W/4] (logits, H x W the padded batch) to the detector's outputs.
#pragma once

#include <torch/torch.h>

#include "common/config/experiment.h"
#include "common/status.h"
#include "model/nn/mdetr.h"
#include "model/nn/segmentation_heads.h"
#include "model/nn/state_dict.h"

namespace mdetr::model {

class MdetrSegmImpl : public torch::nn::Module {
 public:
  // Builds the detector with `masks` forced on (its backbone then returns the stride 4..32 maps
  // the mask head reads). With freeze_detector, no detector parameter requires grad.
  explicit MdetrSegmImpl(const config::ModelConfig& cfg, bool train_backbone = true,
                         bool freeze_detector = false);

  MdetrOutputs forward(const NestedTensor& images, const TextBatch& text);

  Mdetr detr() const { return detr_; }
  AttentionMap bbox_attention() const { return bbox_attention_; }
  MaskHeadSmallConv mask_head() const { return mask_head_; }

  // The reference's --frozen_weights: only the mask head (and attention map) train.
  void FreezeDetector();
  bool detector_frozen() const { return detector_frozen_; }

 private:
  Mdetr detr_{nullptr};
  AttentionMap bbox_attention_{nullptr};
  MaskHeadSmallConv mask_head_{nullptr};
  bool detector_frozen_ = false;
};
TORCH_MODULE(MdetrSegm);

// Loads a detector's weights into model.detr() and freezes it. `weights` is the state dict of a
// detector (backbone.*, transformer.*, ...) or of a segmentation model (detr.* keys; its mask head
// is not loaded). Keys the detector does not have are ignored (a checkpoint trained with the
// alignment loss carries its projections); a detector key missing from `weights` or of another
// shape is an error, and the model is left unchanged.
Result<LoadReport> LoadFrozenDetector(MdetrSegmImpl& model, const StateDict& weights);

}  // namespace mdetr::model
