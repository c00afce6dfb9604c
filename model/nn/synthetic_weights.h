// Deterministic, formula-defined weights for every parameter and buffer of a model.
//
// There are no real MDETR weights on our machines, and committing random full-size weights is
// not an option. Both sides of a parity test fill a model with these values instead: our C++ model
// here, the reference Python model in tools/parity/model (same formula, same torch kernels), so the
// goldens need only the reference's outputs, and full-size models can be checked without shipping
// their weights. Value i of tensor `name` is a scaled sin(i * phi + phase(name)), with a scale that
// keeps activations in range (1/sqrt(fan_in) for weights, near 1 for norm scales, positive
// running variances).
//
// Every matrix of the sine pattern has rank 2 (sin(a + b) splits into two products), which is fine
// for checking arithmetic but makes a deep model's outputs nearly symmetric: on the full-size
// model, queries tie in the matcher's costs and rounding picks the assignment. The scrambled pattern
// passes the sine through a second, steep sine, which gives full-rank matrices with the same scale.
#pragma once

#include <torch/torch.h>

#include <string>

namespace mdetr::model {

enum class SyntheticPattern {
  kSine,       // sin(i * phi + phase): rank-2 matrices; what most committed goldens use
  kScrambled,  // sin(43758.5453 * sin(i * phi + phase)): full-rank matrices
};

// The value of one named tensor of the given shape (float32).
torch::Tensor SyntheticTensor(const std::string& name, at::IntArrayRef shape,
                              SyntheticPattern pattern = SyntheticPattern::kSine);

// Overwrites every floating-point parameter and buffer of `module` with SyntheticTensor values.
void FillSyntheticWeights(torch::nn::Module& module, SyntheticPattern pattern = SyntheticPattern::kSine);

}  // namespace mdetr::model
