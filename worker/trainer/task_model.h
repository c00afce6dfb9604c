// The network a task trains: the MDETR detector, or (model.masks) the segmentation model that
// wraps it with a mask head, optionally with the detector loaded from model.frozen_weights and
// frozen (the reference's two-stage PhraseCut training). One handle for the trainer's forward,
// state dicts, optimiser groups and EMA, whichever it is.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "common/config/experiment.h"
#include "common/status.h"
#include "model/nn/mdetr.h"
#include "model/nn/segmentation.h"

namespace mdetr::trainer {

class TaskModel {
 public:
  TaskModel() = default;
  static TaskModel Build(const config::ModelConfig& cfg, bool train_backbone);

  // Loads model.frozen_weights (a checkpoint folder or file; its EMA weights when it has them,
  // as the reference) into the detector and freezes it. Fails unless the model has masks.
  Status LoadFrozenDetector(const std::string& weights);

  model::MdetrOutputs forward(const model::NestedTensor& images, const model::TextBatch& text);
  torch::nn::Module& module() { return *module_; }
  const torch::nn::Module& module() const { return *module_; }
  model::Mdetr detector() const { return segm_ ? segm_->detr() : detr_; }
  bool masks() const { return static_cast<bool>(segm_); }
  bool defined() const { return module_ != nullptr; }
  // The detector's parameter and buffer names carry this prefix in module()'s state dict.
  std::string detector_prefix() const { return segm_ ? "detr." : ""; }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  model::Mdetr detr_{nullptr};
  model::MdetrSegm segm_{nullptr};
};

}  // namespace mdetr::trainer
