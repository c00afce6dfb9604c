#include "worker/trainer/determinism.h"

#include <ATen/Context.h>

#include <cstdlib>

namespace mdetr::trainer {

void ApplyDeterminism(const torch::Device& device, bool deterministic) {
  if (!device.is_cuda()) return;
  auto& context = at::globalContext();
  context.setDeterministicCuDNN(deterministic);
  context.setBenchmarkCuDNN(!deterministic);
  context.setDeterministicAlgorithms(deterministic, /*warn_only=*/true);
  context.setDeterministicFillUninitializedMemory(false);  // NaN-filling every allocation buys nothing here
  if (deterministic) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
}

}  // namespace mdetr::trainer
