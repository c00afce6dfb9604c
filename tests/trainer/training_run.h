// Helpers for tests that run `mdetr train` as a user would: synthetic data, command lines, and
// reading back the final weights.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace mdetr::testing {

// Generates (once per process) a small synthetic dataset and returns its folder.
std::string SyntheticDataDir();
// Same, with every image 128 x 128.
std::string FixedSizeSyntheticDataDir();

// `mdetr train` on the tiny CPU model over the synthetic data, with extra --set overrides.
std::vector<std::string> TrainCommand(const std::string& out_dir, const std::vector<std::string>& overrides);

// Model weights of the newest checkpoint in <out_dir>/checkpoints.
std::map<std::string, torch::Tensor> FinalWeights(const std::string& out_dir, int64_t* step = nullptr);

}  // namespace mdetr::testing
