#include "model/nn/hf_text_weights.h"

#include <sys/stat.h>

#include "model/io/load_weights.h"

namespace mdetr::model {
namespace {

bool IsFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::string> WeightsFileIn(const std::string& path) {
  if (IsFile(path)) return path;
  for (const char* name : {"model.safetensors", "pytorch_model.bin"}) {
    const std::string candidate = path + "/" + name;
    if (IsFile(candidate)) return candidate;
  }
  return NotFoundError(path + ": no model.safetensors or pytorch_model.bin (expected a Hugging Face RoBERTa "
                       "model folder or one of those files)");
}


}  // namespace

Result<LoadReport> LoadHfTextEncoderWeights(RobertaModel& encoder, const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(const std::string file, WeightsFileIn(path));
  MDETR_ASSIGN_OR_RETURN(io::LoadedWeights weights, io::LoadWeights(file));
  StateDict mapped;
  for (const auto& [name, view] : weights.tensors) {
    std::string key = name;
    if (key.rfind("roberta.", 0) == 0) key = key.substr(8);
    if (key.rfind("lm_head.", 0) == 0 || key == "embeddings.position_ids") continue;
    mapped[key] = TensorFromView(view);
  }
  // Checkpoints without a pooler (MDETR never reads it) are complete for our purpose.
  const bool has_pooler = mapped.count("pooler.dense.weight") > 0;
  LoadOptions options;
  options.strict = false;
  auto own = NamedStateDict(*encoder);
  std::vector<std::string> missing;
  for (const auto& [name, t] : own) {
    if (!mapped.count(name) && (has_pooler || name.rfind("pooler.", 0) != 0)) missing.push_back(name);
  }
  std::vector<std::string> mismatched;
  for (const auto& [name, t] : own) {
    auto it = mapped.find(name);
    if (it != mapped.end() && it->second.sizes() != t.sizes()) {
      mismatched.push_back(name + ": file " + c10::str(it->second.sizes()) + " vs model " + c10::str(t.sizes()));
    }
  }
  if (!missing.empty() || !mismatched.empty()) {
    std::string msg = file + ": not the weights of this text encoder (" + std::to_string(own.size()) + " tensors";
    if (!missing.empty()) msg += "; missing " + std::to_string(missing.size()) + ", e.g. " + missing.front();
    if (!mismatched.empty()) msg += "; wrong shape: " + mismatched.front();
    return InvalidArgumentError(msg + ")");
  }
  MDETR_ASSIGN_OR_RETURN(LoadReport report, LoadStateDict(*encoder, mapped, options));
  return report;
}

}  // namespace mdetr::model
