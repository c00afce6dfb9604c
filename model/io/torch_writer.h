// Saves a flat state dict in torch.save's zip format, so that Python's torch.load (including
// weights_only=True) and the reference implementation read it back.
#pragma once

#include <string>

#include "common/status.h"
#include "model/io/state_dict.h"

namespace mdetr::io {

struct TorchSaveOptions {
  // The folder inside the zip; empty means the file name without its extension, as torch does.
  std::string archive_name;
  // When set, the file holds {top_level_key: state_dict} (e.g. "model", the reference's layout);
  // otherwise the state dict itself.
  std::string top_level_key;
  // ZIP64 records even for a small file (torch writes them only past 4 GB).
  bool force_zip64 = false;
};

// Writes `tensors` as an OrderedDict of tensors to `path`, atomically. Tensors that view the same
// storage are written as views of one storage record, as torch.save does.
Status SaveTorchStateDict(const std::string& path, const StateDict& tensors,
                          const TorchSaveOptions& options = {});

}  // namespace mdetr::io
