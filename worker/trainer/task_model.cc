#include "worker/trainer/task_model.h"

#include "model/nn/state_dict.h"
#include "worker/trainer/initial_weights.h"

namespace mdetr::trainer {

TaskModel TaskModel::Build(const config::ModelConfig& cfg, bool train_backbone) {
  TaskModel m;
  if (cfg.masks) {
    m.segm_ = model::MdetrSegm(cfg, train_backbone, /*freeze_detector=*/false);
    m.module_ = m.segm_.ptr();
  } else {
    m.detr_ = model::Mdetr(cfg, train_backbone);
    m.module_ = m.detr_.ptr();
  }
  return m;
}

Status TaskModel::LoadFrozenDetector(const std::string& weights) {
  if (!segm_) return InvalidArgumentError("model.frozen_weights needs model.masks: true (segmentation only)");
  auto state = LoadInitialWeights(weights);
  if (!state.ok()) return state.status();
  auto loaded = model::LoadFrozenDetector(*segm_, state->tensors);
  if (!loaded.ok()) return loaded.status().WithContext(weights);
  segm_->FreezeDetector();
  return Status::Ok();
}

model::MdetrOutputs TaskModel::forward(const model::NestedTensor& images, const model::TextBatch& text) {
  return segm_ ? segm_->forward(images, text) : detr_->forward(images, text);
}

}  // namespace mdetr::trainer
