// The goldens of tools/parity/model/make_qa_goldens.py, read once per test process.
#pragma once

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/model/golden_file.h"

namespace mdetr::testing {

inline const std::map<std::string, torch::Tensor>& QaGoldens() {
  static const auto* goldens = new std::map<std::string, torch::Tensor>(LoadGoldens("tests/data/model/qa_goldens.pt"));
  return *goldens;
}

inline const torch::Tensor& QaGolden(const std::string& name) {
  auto it = QaGoldens().find(name);
  if (it == QaGoldens().end()) throw std::runtime_error("golden missing: " + name);
  return it->second;
}

inline bool HasQaGolden(const std::string& name) { return QaGoldens().count(name) != 0; }

// Goldens under `prefix` with the prefix removed, e.g. "gqa.designed.out.pred_answer_" -> {"obj": ...}.
inline std::map<std::string, torch::Tensor> QaGoldensUnder(const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [k, v] : QaGoldens()) {
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  }
  return out;
}

// A string stored as its UTF-8 bytes (uint8 tensor).
inline std::string QaGoldenString(const std::string& name) {
  const auto t = QaGolden(name).contiguous();
  return std::string(reinterpret_cast<const char*>(t.data_ptr<uint8_t>()), static_cast<size_t>(t.numel()));
}

// The reference's outputs "pred_answer_xxx" under `prefix`, keyed as MdetrOutputs::answers ("answer_xxx").
inline std::map<std::string, torch::Tensor> QaReferenceAnswers(const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [k, v] : QaGoldensUnder(prefix + "pred_")) out[k] = v;
  return out;
}

}  // namespace mdetr::testing
