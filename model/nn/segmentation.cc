#include "model/nn/segmentation.h"

#include <sstream>

namespace mdetr::model {
namespace {

config::ModelConfig WithMasks(config::ModelConfig cfg) {
  cfg.masks = true;
  return cfg;
}

}  // namespace

MdetrSegmImpl::MdetrSegmImpl(const config::ModelConfig& cfg, bool train_backbone, bool freeze_detector) {
  detr_ = register_module("detr", Mdetr(WithMasks(cfg), train_backbone));
  if (freeze_detector) FreezeDetector();  // before the heads exist, as the reference does
  const int64_t d = cfg.hidden_dim, heads = cfg.nheads;
  bbox_attention_ = register_module("bbox_attention", AttentionMap(d, d, heads));
  // The stride 16, 8 and 4 maps: ResNet-50/101 give [1024, 512, 256] (the reference's fixed
  // widths), a timm backbone its feature_info channels.
  const auto levels = detr_->backbone()->backbone()->level_channels();
  TORCH_CHECK(levels.size() == 4, "segmentation: the backbone returns ", levels.size(),
              " levels, expected 4");
  mask_head_ = register_module(
      "mask_head", MaskHeadSmallConv(d + heads, std::vector<int64_t>{levels[2], levels[1], levels[0]}, d));
}

void MdetrSegmImpl::FreezeDetector() {
  for (auto& p : detr_->parameters()) p.set_requires_grad(false);
  detector_frozen_ = true;
}

MdetrOutputs MdetrSegmImpl::forward(const NestedTensor& images, const TextBatch& text) {
  const auto cache = detr_->Encode(images, text);
  auto out = detr_->Decode(cache);
  const auto& features = detr_->last_backbone_output().features;
  const auto& src_proj = detr_->last_src_proj();
  // The joint memory holds the h*w image positions first, then the text tokens.
  const int64_t hw = src_proj.size(2) * src_proj.size(3);
  const auto memory = cache.img_memory.narrow(0, 0, hw).permute({1, 2, 0}).reshape(src_proj.sizes());
  const auto bbox_mask = bbox_attention_(out.hs[-1], memory, features.back().mask);
  const auto seg = mask_head_->forward(
      src_proj, bbox_mask,
      std::vector<torch::Tensor>{features[2].tensors, features[1].tensors, features[0].tensors});
  out.pred_masks = seg.view({src_proj.size(0), out.hs.size(2), seg.size(-2), seg.size(-1)});
  return out;
}

Result<LoadReport> LoadFrozenDetector(MdetrSegmImpl& model, const StateDict& weights) {
  StateDict detector;
  bool segm_checkpoint = false;
  for (const auto& [name, t] : weights) segm_checkpoint = segm_checkpoint || name.rfind("detr.", 0) == 0;
  for (const auto& [name, t] : weights) {
    if (!segm_checkpoint) {
      detector[name] = t;
    } else if (name.rfind("detr.", 0) == 0) {
      detector[name.substr(5)] = t;
    }
  }
  LoadOptions lenient;
  lenient.strict = false;
  auto detr = model.detr();
  // Check first, so that a failed load leaves the model as it was.
  StateDict current = NamedStateDict(*detr);
  std::vector<std::string> problems;
  for (const auto& [name, t] : current) {
    auto it = detector.find(name);
    if (it == detector.end()) {
      problems.push_back(name + " missing");
    } else if (it->second.sizes() != t.sizes()) {
      std::ostringstream os;
      os << name << ": weights " << it->second.sizes() << " vs model " << t.sizes();
      problems.push_back(os.str());
    }
  }
  if (!problems.empty()) {
    std::string msg = "frozen detector weights do not fit the detector (" + std::to_string(problems.size()) +
                      " problems): ";
    for (size_t i = 0; i < problems.size() && i < 10; ++i) msg += (i ? ", " : "") + problems[i];
    if (problems.size() > 10) msg += ", ...";
    return InvalidArgumentError(msg);
  }
  auto report = LoadStateDict(*detr, detector, lenient);
  if (!report.ok()) return report.status();
  model.FreezeDetector();
  return report;
}

}  // namespace mdetr::model
