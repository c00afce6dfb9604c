// Writes a zip archive the way torch.save does: stored entries whose data starts on a 64-byte
// boundary (so storages can be mapped and used in place), ZIP64 records when sizes or offsets
// pass 4 GB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/io/atomic_file.h"

namespace mdetr::io {

class ZipWriter {
 public:
  // `force_zip64` writes ZIP64 records even for a small archive (to exercise that path).
  ZipWriter(AtomicFileWriter* out, bool force_zip64) : out_(out), force_zip64_(force_zip64) {}

  // Appends one stored record.
  Status AddRecord(const std::string& name, const void* data, uint64_t size);
  // Writes the central directory and end records. Call once, after the last record.
  Status Finish();

 private:
  struct Record {
    std::string name;
    uint32_t crc32;
    uint64_t size;
    uint64_t header_offset;
    bool zip64;
  };
  AtomicFileWriter* out_;
  bool force_zip64_;
  std::vector<Record> records_;
};

}  // namespace mdetr::io
