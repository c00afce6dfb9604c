// Builds an MDETR model from a checkpoint: the official .pth files of the MDETR authors (their
// argparse Namespace gives the architecture; "model_ema" is preferred over "model") or a
// checkpoint written by the reference code from any config.
#pragma once

#include <string>

#include "common/config/experiment.h"
#include "common/status.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"

namespace mdetr::inference {

struct LoadedModel {
  model::Mdetr model{nullptr};
  config::ModelConfig config;
  std::string weights_key;  // "model_ema" or "model"
  model::LoadReport report;
};

// `tokenizer_dir` replaces the Hugging Face name of the text encoder ("roberta-base"), whose files
// are not downloaded at run time.
Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path, const std::string& tokenizer_dir);

// The architecture recorded in a reference checkpoint's args (backbone, hidden_dim, layers, ...).
// Text-encoder shapes are read from the weights, so small custom encoders load too.
Result<config::ModelConfig> ModelConfigFromCheckpoint(const std::string& path);

}  // namespace mdetr::inference
