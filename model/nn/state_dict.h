// Named parameters and buffers of a module as one flat state dict, and loading a state dict by
// name with a full report of what did not match.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/io/tensor_view.h"

namespace mdetr::model {

using StateDict = std::map<std::string, torch::Tensor>;

// A tensor over a checkpoint's mapped bytes, without a copy; it keeps the mapping alive through
// the view's owner and `keep` (either may be null).
torch::Tensor TensorFromView(const io::TensorView& view, std::shared_ptr<const void> keep = nullptr);

// Parameters and buffers with their reference names ("backbone.0.body.conv1.weight", ...).
StateDict NamedStateDict(const torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> missing;      // in the model, not in the file
  std::vector<std::string> unexpected;   // in the file, not in the model
  std::vector<std::string> mismatched;   // "name: file [a,b] vs model [c,d]"
  std::vector<std::string> ignored;      // known harmless extras (position_ids, num_batches_tracked)
  size_t loaded = 0;
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string Summary(size_t max_names = 10) const;
};

struct LoadOptions {
  bool strict = true;            // any missing/unexpected/mismatched key is an error
  std::string strip_prefix;      // e.g. "module." for checkpoints saved from DDP
};

// Copies matching tensors into the module (converting dtype). With strict, returns an error
// naming every problem and leaves the module unchanged.
Result<LoadReport> LoadStateDict(torch::nn::Module& module, const StateDict& source, const LoadOptions& options = {});

}  // namespace mdetr::model
