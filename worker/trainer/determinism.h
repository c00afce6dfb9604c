// `run.deterministic` on GPUs: cuDNN and cuBLAS choose deterministic algorithms, so that two runs
// (or a run and its resumption) on the same GPU compute the same sums in the same order. On the
// CPU the kernels the trainer uses are deterministic already and nothing is changed (LibTorch's
// deterministic mode would also fill every new tensor with NaN, a cost for no gain there).
#pragma once

#include <torch/torch.h>

namespace mdetr::trainer {

// Sets the process-wide algorithm choice for training on `device`. For CUDA with `deterministic`:
// deterministic cuDNN convolutions without autotuning, LibTorch's deterministic algorithms (a
// warning, not an error, for an op that has none), and cuBLAS's fixed workspace
// (CUBLAS_WORKSPACE_CONFIG=:4096:8 unless the user set it), which must precede the first cuBLAS
// call. Without `deterministic`: cuDNN autotuning (the fastest convolutions).
void ApplyDeterminism(const torch::Device& device, bool deterministic);

}  // namespace mdetr::trainer
