#include "worker/trainer/initial_weights.h"

#include <filesystem>
#include <memory>

#include "model/io/load_weights.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::trainer {
namespace {

namespace fs = std::filesystem;

InitialWeights FromTrainingState(TrainingState state, const std::string& path) {
  const bool ema = !state.ema.empty();
  return {ema ? std::move(state.ema) : std::move(state.model), path + (ema ? " (ema)" : " (model)")};
}

// One of the files a checkpoints folder of ours lists (they carry a record beside them).
Result<TrainingState> LoadOurCheckpointFile(const std::string& path, bool* is_ours) {
  *is_ours = false;
  for (const auto& rec : ListCheckpoints(fs::path(path).parent_path().string())) {
    std::error_code ec;
    if (fs::equivalent(rec.path, path, ec)) {
      *is_ours = true;
      return LoadCheckpoint(rec);
    }
  }
  return NotFoundError(path + ": not a checkpoint of a training run");
}

}  // namespace

Result<InitialWeights> LoadInitialWeights(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> warnings;
    auto state = LoadLatestCheckpoint(path, &warnings);
    if (!state.ok()) return state.status();
    return FromTrainingState(std::move(state).value(), path);
  }
  if (!fs::is_regular_file(path, ec)) return NotFoundError(path + ": no such checkpoint file or folder");
  bool ours = false;
  auto state = LoadOurCheckpointFile(path, &ours);
  if (ours) {
    if (!state.ok()) return state.status();
    return FromTrainingState(std::move(state).value(), path);
  }
  auto loaded = io::LoadWeights(path);
  if (!loaded.ok()) return loaded.status();
  // The tensors view the mapped file; each keeps the mapping alive through the shared holder.
  auto holder = std::make_shared<io::LoadedWeights>(std::move(loaded).value());
  InitialWeights out;
  for (const auto& [name, view] : holder->tensors) out.tensors[name] = model::TensorFromView(view, holder);
  out.description = path + (holder->selected.empty() ? "" : " (" + holder->selected + ")");
  return out;
}

}  // namespace mdetr::trainer
