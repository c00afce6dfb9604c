#include "model/io/zip_writer.h"

#include "model/io/crc32.h"
#include "model/io/little_endian.h"

namespace mdetr::io {
namespace {

constexpr uint64_t kAlignment = 64;  // torch's record alignment
constexpr uint64_t k32BitLimit = 0xffffffffu;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01: fixed, so output is reproducible
constexpr uint16_t kPaddingExtraId = 0x4246;            // "FB", the padding field torch uses

}  // namespace

Status ZipWriter::AddRecord(const std::string& name, const void* data, uint64_t size) {
  if (name.size() > 0xffff) return InvalidArgumentError("zip record name too long: " + name.substr(0, 64));
  Record record;
  record.name = name;
  record.size = size;
  record.header_offset = out_->offset();
  record.crc32 = Crc32(0, data, size);
  record.zip64 = force_zip64_ || size >= k32BitLimit || record.header_offset >= k32BitLimit;

  std::string header;
  AppendLE(&header, 0x04034b50, 4);
  AppendLE(&header, record.zip64 ? 45 : 20, 2);  // version needed
  AppendLE(&header, 0, 2);                       // flags
  AppendLE(&header, 0, 2);                       // method: stored
  AppendLE(&header, 0, 2);                       // time
  AppendLE(&header, kDosDate, 2);
  AppendLE(&header, record.crc32, 4);
  AppendLE(&header, record.zip64 ? k32BitLimit : size, 4);  // compressed size
  AppendLE(&header, record.zip64 ? k32BitLimit : size, 4);  // size
  AppendLE(&header, name.size(), 2);
  size_t extra_length_at = header.size();
  AppendLE(&header, 0, 2);  // extra length, patched below
  header += name;
  std::string extra;
  if (record.zip64) {
    AppendLE(&extra, 0x0001, 2);
    AppendLE(&extra, 16, 2);
    AppendLE(&extra, size, 8);
    AppendLE(&extra, size, 8);
  }
  uint64_t unpadded = record.header_offset + header.size() + extra.size() + 4;
  uint64_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
  AppendLE(&extra, kPaddingExtraId, 2);
  AppendLE(&extra, padding, 2);
  extra.append(padding, 'Z');
  header[extra_length_at] = static_cast<char>(extra.size() & 0xff);
  header[extra_length_at + 1] = static_cast<char>(extra.size() >> 8);
  header += extra;
  MDETR_RETURN_IF_ERROR(out_->Write(header));
  MDETR_RETURN_IF_ERROR(out_->Write(data, size));
  records_.push_back(std::move(record));
  return Status::Ok();
}

Status ZipWriter::Finish() {
  const uint64_t directory_offset = out_->offset();
  std::string directory;
  for (const Record& r : records_) {
    std::string extra;
    if (r.zip64) {
      AppendLE(&extra, 0x0001, 2);
      AppendLE(&extra, 24, 2);
      AppendLE(&extra, r.size, 8);
      AppendLE(&extra, r.size, 8);
      AppendLE(&extra, r.header_offset, 8);
    }
    AppendLE(&directory, 0x02014b50, 4);
    AppendLE(&directory, 45, 2);  // version made by
    AppendLE(&directory, r.zip64 ? 45 : 20, 2);
    AppendLE(&directory, 0, 2);  // flags
    AppendLE(&directory, 0, 2);  // method
    AppendLE(&directory, 0, 2);  // time
    AppendLE(&directory, kDosDate, 2);
    AppendLE(&directory, r.crc32, 4);
    AppendLE(&directory, r.zip64 ? k32BitLimit : r.size, 4);
    AppendLE(&directory, r.zip64 ? k32BitLimit : r.size, 4);
    AppendLE(&directory, r.name.size(), 2);
    AppendLE(&directory, extra.size(), 2);
    AppendLE(&directory, 0, 2);  // comment length
    AppendLE(&directory, 0, 2);  // disk
    AppendLE(&directory, 0, 2);  // internal attributes
    AppendLE(&directory, 0, 4);  // external attributes
    AppendLE(&directory, r.zip64 ? k32BitLimit : r.header_offset, 4);
    directory += r.name;
    directory += extra;
  }
  MDETR_RETURN_IF_ERROR(out_->Write(directory));
  const uint64_t count = records_.size();
  const uint64_t directory_size = directory.size();
  const bool zip64 =
      force_zip64_ || count >= 0xffff || directory_offset >= k32BitLimit || directory_size >= k32BitLimit;
  std::string end;
  if (zip64) {
    const uint64_t record_offset = out_->offset();
    AppendLE(&end, 0x06064b50, 4);
    AppendLE(&end, 44, 8);  // size of the rest of this record
    AppendLE(&end, 45, 2);
    AppendLE(&end, 45, 2);
    AppendLE(&end, 0, 4);  // this disk
    AppendLE(&end, 0, 4);  // directory disk
    AppendLE(&end, count, 8);
    AppendLE(&end, count, 8);
    AppendLE(&end, directory_size, 8);
    AppendLE(&end, directory_offset, 8);
    AppendLE(&end, 0x07064b50, 4);  // locator
    AppendLE(&end, 0, 4);
    AppendLE(&end, record_offset, 8);
    AppendLE(&end, 1, 4);  // total disks
  }
  AppendLE(&end, 0x06054b50, 4);
  AppendLE(&end, 0, 2);
  AppendLE(&end, 0, 2);
  AppendLE(&end, zip64 ? 0xffff : count, 2);
  AppendLE(&end, zip64 ? 0xffff : count, 2);
  AppendLE(&end, zip64 ? k32BitLimit : directory_size, 4);
  AppendLE(&end, zip64 ? k32BitLimit : directory_offset, 4);
  AppendLE(&end, 0, 2);  // comment length
  return out_->Write(end);
}

}  // namespace mdetr::io
