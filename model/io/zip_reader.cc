#include "model/io/zip_reader.h"

#include <algorithm>

#include "model/io/crc32.h"
#include "model/io/little_endian.h"

namespace mdetr::io {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndOfDirectorySize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

// True when [offset, offset + size) lies inside a buffer of `total` bytes.
bool InRange(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

}  // namespace

Status ZipArchive::Error(const std::string& what) const {
  return DataLossError(file_->path() + ": bad zip archive: " + what);
}

Result<ZipArchive> ZipArchive::Open(std::shared_ptr<const MappedFile> file) {
  ZipArchive archive(std::move(file));
  MDETR_RETURN_IF_ERROR(archive.ParseDirectory());
  return archive;
}

Status ZipArchive::ParseDirectory() {
  const uint8_t* base = file_->data();
  const uint64_t total = file_->size();
  if (total < kEndOfDirectorySize) {
    return Error("file is " + std::to_string(total) + " bytes, too short for an end-of-directory record");
  }
  // The end record sits at the end, followed by a comment of up to 65535 bytes.
  uint64_t eocd = total;
  uint64_t lowest = total > kEndOfDirectorySize + 0xffff ? total - kEndOfDirectorySize - 0xffff : 0;
  for (uint64_t pos = total - kEndOfDirectorySize + 1; pos-- > lowest;) {
    if (LoadLE32(base + pos) == kEndOfDirectory &&
        pos + kEndOfDirectorySize + LoadLE16(base + pos + 20) == total) {
      eocd = pos;
      break;
    }
  }
  if (eocd == total) return Error("no end-of-central-directory record (truncated file?)");
  const uint8_t* e = base + eocd;
  uint64_t disk = LoadLE16(e + 4), directory_disk = LoadLE16(e + 6);
  uint64_t count = LoadLE16(e + 10);
  uint64_t directory_size = LoadLE32(e + 12);
  uint64_t directory_offset = LoadLE32(e + 16);

  if (eocd >= kZip64LocatorSize && LoadLE32(base + eocd - kZip64LocatorSize) == kZip64Locator) {
    const uint8_t* locator = base + eocd - kZip64LocatorSize;
    uint64_t record = LoadLE64(locator + 8);
    if (!InRange(record, kZip64EndOfDirectorySize, eocd) || LoadLE32(base + record) != kZip64EndOfDirectory) {
      return Error("ZIP64 locator points at offset " + std::to_string(record) +
                   ", which holds no ZIP64 end-of-directory record");
    }
    const uint8_t* z = base + record;
    disk = LoadLE32(z + 16);
    directory_disk = LoadLE32(z + 20);
    count = LoadLE64(z + 32);
    directory_size = LoadLE64(z + 40);
    directory_offset = LoadLE64(z + 48);
  }
  if (disk != 0 || directory_disk != 0) return Error("multi-disk archives are not supported");
  if (!InRange(directory_offset, directory_size, total)) {
    return Error("central directory [" + std::to_string(directory_offset) + ", +" +
                 std::to_string(directory_size) + ") lies outside the " + std::to_string(total) +
                 "-byte file");
  }
  // Each central header takes at least 46 bytes, which bounds what a corrupt count can ask for.
  if (count > directory_size / kCentralHeaderSize) {
    return Error("directory claims " + std::to_string(count) + " entries in " +
                 std::to_string(directory_size) + " bytes");
  }

  entries_.reserve(count);
  uint64_t pos = directory_offset;
  const uint64_t directory_end = directory_offset + directory_size;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string where = "central directory entry " + std::to_string(i);
    if (!InRange(pos, kCentralHeaderSize, directory_end) || LoadLE32(base + pos) != kCentralHeader) {
      return Error(where + " at offset " + std::to_string(pos) + ": missing central header signature");
    }
    const uint8_t* h = base + pos;
    ZipEntry entry;
    uint16_t flags = LoadLE16(h + 8);
    entry.method = LoadLE16(h + 10);
    entry.crc32 = LoadLE32(h + 16);
    entry.compressed_size = LoadLE32(h + 20);
    entry.size = LoadLE32(h + 24);
    uint64_t name_len = LoadLE16(h + 28), extra_len = LoadLE16(h + 30), comment_len = LoadLE16(h + 32);
    entry.local_header_offset = LoadLE32(h + 42);
    if (!InRange(pos + kCentralHeaderSize, name_len + extra_len + comment_len, directory_end)) {
      return Error(where + ": name and extra fields run past the directory");
    }
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    if (flags & 0x1) return Error("entry '" + entry.name + "' is encrypted");

    // ZIP64 extra field: only the fields whose 32-bit slot is saturated are present, in this order.
    const uint8_t* extra = h + kCentralHeaderSize + name_len;
    for (uint64_t x = 0; x + 4 <= extra_len;) {
      uint16_t id = LoadLE16(extra + x), len = LoadLE16(extra + x + 2);
      if (x + 4 + len > extra_len)
        return Error("entry '" + entry.name + "': extra field runs past its header");
      if (id == kZip64ExtraId) {
        const uint8_t* f = extra + x + 4;
        uint64_t used = 0;
        auto take = [&](uint64_t* field) {
          if (*field != 0xffffffffu) return true;
          if (used + 8 > len) return false;
          *field = LoadLE64(f + used);
          used += 8;
          return true;
        };
        if (!take(&entry.size) || !take(&entry.compressed_size) || !take(&entry.local_header_offset)) {
          return Error("entry '" + entry.name + "': ZIP64 extra field is too short");
        }
      }
      x += 4 + len;
    }

    uint8_t local[kLocalHeaderSize];
    if (!InRange(entry.local_header_offset, kLocalHeaderSize, total) ||
        !file_->ReadAt(entry.local_header_offset, kLocalHeaderSize, local) ||
        LoadLE32(local) != kLocalHeader) {
      return Error("entry '" + entry.name + "': no local header at offset " +
                   std::to_string(entry.local_header_offset));
    }
    uint64_t local_name = LoadLE16(local + 26), local_extra = LoadLE16(local + 28);
    entry.data_offset = entry.local_header_offset + kLocalHeaderSize + local_name + local_extra;
    if (!InRange(entry.data_offset, entry.compressed_size, total)) {
      return Error("entry '" + entry.name + "': data [" + std::to_string(entry.data_offset) + ", +" +
                   std::to_string(entry.compressed_size) + ") runs past the end of the " +
                   std::to_string(total) + "-byte file (truncated?)");
    }
    if (!by_name_.emplace(entry.name, entries_.size()).second) {
      return Error("duplicate entry '" + entry.name + "'");
    }
    entries_.push_back(std::move(entry));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  return Status::Ok();
}

const ZipEntry* ZipArchive::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Result<std::string_view> ZipArchive::Read(const ZipEntry& entry) const {
  if (entry.method != 0) {
    return UnimplementedError(file_->path() + ": zip entry '" + entry.name + "' is compressed (method " +
                              std::to_string(entry.method) + "); torch.save writes stored entries only");
  }
  if (entry.compressed_size != entry.size) {
    return Error("stored entry '" + entry.name + "' has compressed size " +
                 std::to_string(entry.compressed_size) + " != size " + std::to_string(entry.size));
  }
  return std::string_view(reinterpret_cast<const char*>(file_->data() + entry.data_offset), entry.size);
}

Status ZipArchive::VerifyCrc(const ZipEntry& entry) const {
  MDETR_ASSIGN_OR_RETURN(std::string_view bytes, Read(entry));
  uint32_t crc = Crc32(0, bytes.data(), bytes.size());
  if (crc != entry.crc32) {
    return Error("entry '" + entry.name + "': CRC-32 mismatch (stored " + std::to_string(entry.crc32) +
                 ", computed " + std::to_string(crc) + ")");
  }
  return Status::Ok();
}

}  // namespace mdetr::io
