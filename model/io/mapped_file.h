// A whole file mapped read-only into memory. Tensors read from checkpoints are views into it, so
// a 3 GB checkpoint costs address space, not resident memory, until its pages are touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mdetr::io {

class MappedFile {
 public:
  // Maps `path`. Views into it stay valid while any shared_ptr to it lives.
  static Result<std::shared_ptr<const MappedFile>> Open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data_), size_}; }

  // Copies [offset, offset + size) into `out` with pread, without mapping the pages into this
  // process: for small scattered headers, whose page faults would otherwise pull whole
  // read-ahead windows of tensor data into the resident set. False past the end or on error.
  bool ReadAt(uint64_t offset, size_t size, void* out) const;

 private:
  MappedFile(std::string path, int fd, const uint8_t* data, size_t size)
      : path_(std::move(path)), fd_(fd), data_(data), size_(size) {}

  std::string path_;
  int fd_ = -1;
  const uint8_t* data_ = nullptr;  // nullptr for an empty file
  size_t size_ = 0;
};

}  // namespace mdetr::io
