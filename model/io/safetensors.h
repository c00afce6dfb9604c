// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the tensor bytes. Reading maps the file and checks
// the header against it; writing is atomic.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "model/io/mapped_file.h"
#include "model/io/state_dict.h"

namespace mdetr::io {

struct SafetensorsFile {
  std::shared_ptr<const MappedFile> file;
  StateDict tensors;                            // in header order; views into `file`
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// Maps and validates `path`: header length and JSON, known dtypes, shapes, data offsets inside
// the file, and byte ranges that match the shapes and tile the data section with no overlap.
Result<SafetensorsFile> ReadSafetensors(const std::string& path);

// Writes `tensors` (gathering non-contiguous views) with `metadata` to `path` atomically.
Status WriteSafetensors(const std::string& path, const StateDict& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace mdetr::io
