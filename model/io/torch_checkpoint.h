// Loads files written by torch.save (the zip format of PyTorch >= 1.6) without torch: the pickle
// is rebuilt as PyValues and every tensor is a view into the memory-mapped file.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "model/io/mapped_file.h"
#include "model/io/py_value.h"
#include "model/io/state_dict.h"

namespace mdetr::io {

struct TorchLoadOptions {
  // Recompute the CRC-32 of every record. Reads the whole file, so off by default.
  bool verify_crc32 = false;
};

struct TorchCheckpoint {
  std::shared_ptr<const MappedFile> file;
  std::string archive_name;    // the folder inside the zip ("archive", or the file's stem)
  int64_t format_version = 0;  // the "version" record
  PyValue root;                // what torch.load would return
};

// Opens `path`. The legacy (pre-1.6, non-zip) format is reported as UNIMPLEMENTED with a hint.
Result<TorchCheckpoint> LoadTorchCheckpoint(const std::string& path, const TorchLoadOptions& options = {});

// The model weights in a loaded checkpoint, by the reference's rule: "model_ema" when present and
// not None, else "model"; a checkpoint that is itself a dict of tensors (Hugging Face
// pytorch_model.bin) is its own state dict. `chosen` (optional) receives "model_ema", "model" or "".
Result<StateDict> SelectStateDict(const PyValue& root, std::string* chosen = nullptr);

// Every item of `dict` as name -> tensor; fails naming the first key that is not a str or whose
// value is not a tensor.
Result<StateDict> StateDictFromDict(const PyValue& dict);

}  // namespace mdetr::io
