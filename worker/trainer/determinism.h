// `run.deterministic` on GPUs: cuDNN and cuBLAS choose deterministic algorithms, so that two runs
// (or a run and its resumption) on the same GPU compute their convolutions and matrix products in
// the same order. Ops whose CUDA kernels accumulate with atomics (the backward of the bilinear
// interpolation in the mask loss, for one) stay non-deterministic: LibTorch's deterministic mode
// has no other kernel for them and would only flag them (an error, or a warning from the op on
// every call). On the CPU the kernels the trainer
// uses are deterministic already and nothing is changed.
#pragma once

#include <torch/torch.h>

namespace mdetr::trainer {

// Sets the process-wide algorithm choice for training on `device`. For CUDA with `deterministic`:
// deterministic cuDNN convolutions without autotuning, and cuBLAS's fixed workspace
// (CUBLAS_WORKSPACE_CONFIG=:4096:8 unless the user set it), which must precede the first cuBLAS
// call. Without it, cuDNN may pick non-deterministic algorithms (LibTorch's defaults).
void ApplyDeterminism(const torch::Device& device, bool deterministic);

}  // namespace mdetr::trainer
