#include "model/io/load_weights.h"

#include "model/io/mapped_file.h"
#include "model/io/safetensors.h"
#include "model/io/torch_checkpoint.h"

namespace mdetr::io {

Result<LoadedWeights> LoadWeights(const std::string& path) {
  LoadedWeights out;
  {
    MDETR_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> probe, MappedFile::Open(path));
    std::string_view bytes = probe->bytes();
    // safetensors starts with its header length and then '{'; everything else goes to the torch
    // reader, which names legacy and unknown formats.
    if (bytes.size() >= 9 && bytes[8] == '{') {
      MDETR_ASSIGN_OR_RETURN(SafetensorsFile file, ReadSafetensors(path));
      out.tensors = std::move(file.tensors);
      out.format = "safetensors";
      return out;
    }
  }
  MDETR_ASSIGN_OR_RETURN(TorchCheckpoint checkpoint, LoadTorchCheckpoint(path));
  Result<StateDict> tensors = SelectStateDict(checkpoint.root, &out.selected);
  if (!tensors.ok()) return tensors.status().WithContext(path);
  out.tensors = std::move(tensors).value();
  out.format = "torch";
  return out;
}

}  // namespace mdetr::io
