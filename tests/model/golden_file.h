// Reads a goldens file written by tools/parity (torch.save of a flat {name: tensor} dict).
#pragma once

#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace mdetr::testing {

inline std::map<std::string, torch::Tensor> LoadGoldens(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open goldens " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto value = torch::pickle_load(bytes);
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : value.toGenericDict()) out[item.key().toStringRef()] = item.value().toTensor();
  return out;
}

// max |a - b| / max(|b|, tiny): the relative agreement the parity tests require.
inline double RelativeMaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(b.abs().max().item<double>(), 1e-12);
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>() / scale;
}

inline double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace mdetr::testing
