// Reads the zip container torch.save writes: stored (uncompressed) entries, ZIP64 records when the
// archive passes 4 GB. Entries are returned as views into the mapped file, never copied.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/io/mapped_file.h"

namespace mdetr::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored; torch writes nothing else
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;  // where the entry's bytes start in the file
};

class ZipArchive {
 public:
  // Parses the central directory of `file`. Every entry's local header and data range is
  // checked against the file size here, so later reads cannot leave the mapping.
  static Result<ZipArchive> Open(std::shared_ptr<const MappedFile> file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* Find(std::string_view name) const;
  // The bytes of a stored entry; an error for compressed or encrypted ones.
  Result<std::string_view> Read(const ZipEntry& entry) const;
  // Recomputes the entry's CRC-32 (reads every byte, so it is opt-in for large entries).
  Status VerifyCrc(const ZipEntry& entry) const;

  const MappedFile& file() const { return *file_; }
  const std::shared_ptr<const MappedFile>& shared_file() const { return file_; }

 private:
  explicit ZipArchive(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {}
  Status ParseDirectory();
  Status Error(const std::string& what) const;

  std::shared_ptr<const MappedFile> file_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;
};

}  // namespace mdetr::io
