#include "worker/trainer/determinism.h"

#include <ATen/Context.h>

#include <cstdlib>

namespace mdetr::trainer {

void ApplyDeterminism(const torch::Device& device, bool deterministic) {
  if (!device.is_cuda()) return;
  auto& context = at::globalContext();
  context.setDeterministicCuDNN(deterministic);
  if (!deterministic) return;
  // Autotuning picks algorithms by timing them, which can differ from run to run.
  context.setBenchmarkCuDNN(false);
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
}

}  // namespace mdetr::trainer
