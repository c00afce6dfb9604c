// The tiny segmentation model of tools/parity/model/make_segm_goldens.py: configs/models/tiny_cpu.yaml
// with hidden 128 and 8 heads (the smallest the mask head's group norms allow),
// masks on and no alignment loss, filled with the synthetic weights; and its goldens (inputs
// included). The goldens were made in float64 (see the script), so parity runs use a float64 model.
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/config/experiment.h"
#include "model/nn/segmentation.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::testing {

inline config::ExperimentConfig TinySegmConfig() {
  auto cfg = config::LoadExperiment(
      "configs/models/tiny_cpu.yaml",
      {"model.hidden_dim=128", "model.nheads=8", "model.masks=true", "model.contrastive_align_loss=false"});
  if (!cfg.ok()) throw std::runtime_error(cfg.status().ToString());
  return *cfg;
}

class SegmGoldens {
 public:
  SegmGoldens() : segm_(LoadGoldens("tests/data/model/tiny_segm_goldens.pt")) {}
  const torch::Tensor& operator()(const std::string& name) const {
    auto it = segm_.find(name);
    if (it == segm_.end()) throw std::runtime_error("golden missing: " + name);
    return it->second;
  }
  const std::map<std::string, torch::Tensor>& segm() const { return segm_; }
  model::NestedTensor images(torch::ScalarType dtype = torch::kFloat64) const {
    return {(*this)("input.images").to(dtype), (*this)("input.mask")};
  }
  model::TextBatch text() const { return {(*this)("input.input_ids"), (*this)("input.attention_mask")}; }

 private:
  std::map<std::string, torch::Tensor> segm_;
};

// A fresh tiny segmentation model with the synthetic weights, in eval mode (dropout off, as the goldens).
inline model::MdetrSegm MakeTinySegm(torch::ScalarType dtype = torch::kFloat64) {
  model::MdetrSegm m(TinySegmConfig().model);
  model::FillSyntheticWeights(*m);
  m->to(dtype);
  m->eval();
  return m;
}

// Fills `module` with the synthetic weights it has inside the model, under `prefix` (e.g.
// "mask_head."), so a head can be checked on its own without building the whole network.
inline void FillSyntheticWeightsAs(torch::nn::Module& module, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters())
    p.value().copy_(model::SyntheticTensor(prefix + p.key(), p.value().sizes()));
}

}  // namespace mdetr::testing
