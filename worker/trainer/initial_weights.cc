#include "worker/trainer/initial_weights.h"

#include <memory>

#include "model/io/load_weights.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::trainer {

Result<InitialWeights> LoadInitialWeights(const std::string& path) {
  if (IsRunCheckpoint(path)) {
    MDETR_ASSIGN_OR_RETURN(TrainingState state, LoadRunCheckpoint(path));
    const bool ema = !state.ema.empty();
    return InitialWeights{ema ? std::move(state.ema) : std::move(state.model), path + (ema ? " (ema)" : " (model)")};
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
