#include "model/nn/state_dict.h"

#include <sstream>

namespace mdetr::model {
namespace {

bool IsKnownHarmless(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // RoBERTa's position_ids buffer (recomputed from the ids) and BN counters (frozen BN has none).
  return ends_with("embeddings.position_ids") || ends_with("num_batches_tracked");
}

std::string ShapeString(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

}  // namespace

StateDict NamedStateDict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

std::string LoadReport::Summary(size_t max_names) const {
  std::ostringstream os;
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    os << names.size() << " " << what << " (";
    for (size_t i = 0; i < names.size() && i < max_names; ++i) os << (i ? ", " : "") << names[i];
    if (names.size() > max_names) os << ", ...";
    os << "); ";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("mis-shaped", mismatched);
  os << loaded << " loaded";
  return os.str();
}

Result<LoadReport> LoadStateDict(torch::nn::Module& module, const StateDict& source_in, const LoadOptions& options) {
  StateDict source;
  for (const auto& [name, tensor] : source_in) {
    std::string key = name;
    if (!options.strip_prefix.empty() && key.rfind(options.strip_prefix, 0) == 0) {
      key = key.substr(options.strip_prefix.size());
    }
    source[key] = tensor;
  }
  StateDict target = NamedStateDict(module);
  LoadReport report;
  for (const auto& [name, tensor] : source) {
    auto it = target.find(name);
    if (it == target.end()) {
      (IsKnownHarmless(name) ? report.ignored : report.unexpected).push_back(name);
    } else if (it->second.sizes() != tensor.sizes()) {
      report.mismatched.push_back(name + ": file " + ShapeString(tensor) + " vs model " + ShapeString(it->second));
    }
  }
  for (const auto& [name, tensor] : target) {
    if (!source.count(name)) report.missing.push_back(name);
  }
  if (options.strict && !report.clean()) {
    return InvalidArgumentError("state dict does not match the model: " + report.Summary());
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : target) {
    auto it = source.find(name);
    if (it == source.end() || it->second.sizes() != tensor.sizes()) continue;
    tensor.copy_(it->second.to(tensor.device(), tensor.scalar_type()));
    ++report.loaded;
  }
  return report;
}

torch::Tensor TensorFromView(const io::TensorView& view, std::shared_ptr<const void> keep) {
  auto owner = view.owner;
  torch::ScalarType dtype = torch::kFloat32;
  switch (view.dtype) {
    case io::DType::kFloat64: dtype = torch::kFloat64; break;
    case io::DType::kFloat16: dtype = torch::kFloat16; break;
    case io::DType::kBFloat16: dtype = torch::kBFloat16; break;
    case io::DType::kInt64: dtype = torch::kInt64; break;
    case io::DType::kInt32: dtype = torch::kInt32; break;
    case io::DType::kInt16: dtype = torch::kInt16; break;
    case io::DType::kInt8: dtype = torch::kInt8; break;
    case io::DType::kUInt8: dtype = torch::kUInt8; break;
    case io::DType::kBool: dtype = torch::kBool; break;
    default: break;
  }
  return torch::from_blob(const_cast<uint8_t*>(view.data()), view.shape, view.strides,
                          [owner, keep](void*) mutable {
                            owner.reset();
                            keep.reset();
                          },
                          torch::TensorOptions().dtype(dtype));
}

}  // namespace mdetr::model
