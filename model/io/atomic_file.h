// Writes a file so that readers see either the old file or the complete new one: the bytes go to
// a temporary file in the same folder, which is fsynced and renamed over the target on Commit().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace mdetr::io {

class AtomicFileWriter {
 public:
  // Creates the temporary file next to `path`.
  static Result<AtomicFileWriter> Create(const std::string& path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Removes the temporary file unless Commit() succeeded.
  ~AtomicFileWriter();

  Status Write(const void* data, size_t size);
  Status Write(const std::string& bytes) { return Write(bytes.data(), bytes.size()); }
  Status WriteZeros(size_t size);
  // Bytes written so far (the offset of the next byte).
  uint64_t offset() const { return offset_; }

  // fsync, close, rename over the target, fsync the folder.
  Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  bool committed_ = false;
};

}  // namespace mdetr::io
