// The weights a task starts from (model.init_checkpoint) or freezes (model.frozen_weights), from
// whatever a user points at: a checkpoints folder of ours (its newest usable checkpoint), one
// checkpoint file of ours, or any file io::LoadWeights reads — the official MDETR .pth files,
// reference-format checkpoints, safetensors. EMA weights are taken when the source has them, as
// the reference's fine-tuning does.
#pragma once

#include <string>

#include "common/status.h"
#include "model/nn/state_dict.h"

namespace mdetr::trainer {

struct InitialWeights {
  model::StateDict tensors;
  std::string description;  // what was read, for the log: "<path> (model_ema)"
};

// Errors name `path`.
Result<InitialWeights> LoadInitialWeights(const std::string& path);

}  // namespace mdetr::trainer
