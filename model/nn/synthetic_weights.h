// Deterministic, formula-defined weights for every parameter and buffer of a model.
//
// There are no real MDETR weights on our machines, and committing random full-size weights is
// not an option. Both sides of a parity test fill a model with these values instead: our C++ model
// here, the reference Python model in tools/parity/model (same formula, same torch kernels), so the
// goldens need only the reference's outputs, and full-size models can be checked without shipping
// their weights. Value i of tensor `name` is a scaled sin(i * phi + phase(name)), with a scale that
// keeps activations in range (1/sqrt(fan_in) for weights, near 1 for norm scales, positive
// running variances).
#pragma once

#include <torch/torch.h>

#include <string>

namespace mdetr::model {

// The value of one named tensor of the given shape (float32).
torch::Tensor SyntheticTensor(const std::string& name, at::IntArrayRef shape);

// Overwrites every floating-point parameter and buffer of `module` with SyntheticTensor values.
void FillSyntheticWeights(torch::nn::Module& module);

}  // namespace mdetr::model
