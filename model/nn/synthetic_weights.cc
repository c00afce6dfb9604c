#include "model/nn/synthetic_weights.h"

#include <cmath>

#include "common/ids.h"

namespace mdetr::model {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

torch::Tensor SyntheticTensor(const std::string& name, at::IntArrayRef shape, SyntheticPattern pattern) {
  constexpr double kGolden = 1.618033988749895;
  const double phase = static_cast<double>(StableHash64(name) % 10007) / 10007.0 * 2 * M_PI;
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  auto s = torch::sin(torch::arange(numel, torch::kFloat64) * kGolden + phase);
  if (pattern == SyntheticPattern::kScrambled) s = torch::sin(s * 43758.5453);
  torch::Tensor v;
  if (EndsWith(name, "running_var")) {
    v = 1.0 + 0.25 * s;
  } else if (EndsWith(name, "running_mean")) {
    v = 0.1 * s;
  } else if (shape.size() == 1 && EndsWith(name, "weight")) {
    v = 1.0 + 0.1 * s;
  } else if (shape.size() <= 1) {
    v = 0.02 * s;
  } else {
    const double fan_in = static_cast<double>(numel / shape[0]);
    v = s / std::sqrt(fan_in);
  }
  return v.to(torch::kFloat32).reshape(shape);
}

void FillSyntheticWeights(torch::nn::Module& module, SyntheticPattern pattern) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(true)) {
    p.value().copy_(SyntheticTensor(p.key(), p.value().sizes(), pattern));
  }
  for (auto& b : module.named_buffers(true)) {
    if (b.value().is_floating_point()) b.value().copy_(SyntheticTensor(b.key(), b.value().sizes(), pattern));
  }
}

}  // namespace mdetr::model
