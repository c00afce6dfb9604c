// One entry point for model weights, whatever file they come in: a torch.save checkpoint
// (.pth, Hugging Face pytorch_model.bin) or a safetensors file, told apart by content.
#pragma once

#include <string>

#include "common/status.h"
#include "model/io/state_dict.h"

namespace mdetr::io {

struct LoadedWeights {
  StateDict tensors;     // views into the mapped file, which they keep alive
  std::string format;    // "torch" or "safetensors"
  std::string selected;  // torch: "model_ema", "model" or "" (the file is the state dict)
};

// Errors name `path`.
Result<LoadedWeights> LoadWeights(const std::string& path);

}  // namespace mdetr::io
