// Builds an MDETR model from a checkpoint: the official .pth files of the MDETR authors (their
// argparse Namespace gives the architecture; "model_ema" is preferred over "model"), a checkpoint
// written by the reference code from any config, or a safetensors file whose metadata records our
// experiment config. Every released kind loads: detection, PhraseCut segmentation (the reference's
// DETRsegm: "detr."-prefixed detector keys plus bbox_attention.* and mask_head.*), GQA (split or
// single answer head) and CLEVR question answering, and the refexp "predict_final" head.
#pragma once

#include <string>

#include <torch/torch.h>

#include "common/config/experiment.h"
#include "common/status.h"
#include "model/io/py_value.h"
#include "model/io/state_dict.h"
#include "model/nn/mdetr.h"
#include "model/nn/segmentation.h"
#include "model/nn/state_dict.h"

namespace mdetr::inference {

enum class ModelKind { kDetection, kSegmentation, kGqa, kClevr };

// "detection", "segmentation", "gqa", "clevr".
const char* ModelKindName(ModelKind kind);

// The kind a config builds: masks -> segmentation, else its QA dataset, else detection.
ModelKind KindOf(const config::ModelConfig& cfg);

struct LoadedModel {
  model::Mdetr model{nullptr};     // the detector (for a segmentation model, segm->detr())
  model::MdetrSegm segm{nullptr};  // set for segmentation models only
  config::ModelConfig config;
  std::string weights_key;  // "model_ema" or "model"
  model::LoadReport report;

  ModelKind kind() const { return KindOf(config); }
  // The detector's outputs, plus pred_masks for a segmentation model.
  model::MdetrOutputs Forward(const model::NestedTensor& images, const model::TextBatch& text);
  void To(const torch::Device& device);
};

// `tokenizer_dir` replaces the Hugging Face name of the text encoder ("roberta-base"), whose files
// are not downloaded at run time.
Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path, const std::string& tokenizer_dir);

// The architecture recorded in a reference checkpoint's args (backbone, hidden_dim, layers, ...).
// Text-encoder shapes are read from the weights, so small custom encoders load too.
Result<config::ModelConfig> ModelConfigFromCheckpoint(const std::string& path);

// The same from the weights of any container (a missing `args` value: the weights alone decide).
Result<config::ModelConfig> ModelConfigFromWeights(const io::PyValue& args, const io::StateDict& weights);

// Builds the model `cfg` describes (MdetrSegm when cfg.masks) and loads `weights` strictly: every
// missing, unexpected or mis-shaped key is named in the error, which starts with `where`.
Result<LoadedModel> BuildAndLoad(const config::ModelConfig& cfg, const model::StateDict& weights,
                                 const std::string& weights_key, const std::string& where);

}  // namespace mdetr::inference
