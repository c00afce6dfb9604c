#include "common/tensorboard/event_file.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace mdetr::tensorboard {
namespace {

std::array<uint32_t, 256> MakeCrc32cTable() {
  constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli polynomial
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

// TFRecord stores a rotated and offset CRC so that CRCs of data holding CRCs stay well distributed.
uint32_t MaskedCrc(std::string_view data) {
  const uint32_t crc = Crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void AppendLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Protocol-buffer wire encoding of the few field kinds an Event needs.
void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
void AppendTag(std::string& out, int field, int wire_type) {
  AppendVarint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
}
void AppendDouble(std::string& out, int field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  AppendTag(out, field, 1);
  AppendLittleEndian(out, bits, 8);
}
void AppendFloat(std::string& out, int field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  AppendTag(out, field, 5);
  AppendLittleEndian(out, bits, 4);
}
void AppendBytes(std::string& out, int field, std::string_view bytes) {
  AppendTag(out, field, 2);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

// Field numbers of tensorboard's event.proto / summary.proto.
constexpr int kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr int kSummaryValue = 1;
constexpr int kValueTag = 1, kValueSimpleValue = 2;

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace

uint32_t Crc32c(std::string_view data) {
  static const std::array<uint32_t, 256> table = MakeCrc32cTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = table[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string FrameRecord(std::string_view payload) {
  std::string length;
  AppendLittleEndian(length, payload.size(), 8);
  std::string out = length;
  AppendLittleEndian(out, MaskedCrc(length), 4);
  out.append(payload);
  AppendLittleEndian(out, MaskedCrc(payload), 4);
  return out;
}

std::string FileVersionEvent(double wall_time) {
  std::string event;
  AppendDouble(event, kEventWallTime, wall_time);
  AppendBytes(event, kEventFileVersion, "brain.Event:2");
  return event;
}

std::string ScalarEvent(double wall_time, int64_t step, std::string_view tag, float value) {
  std::string summary_value;
  AppendBytes(summary_value, kValueTag, tag);
  AppendFloat(summary_value, kValueSimpleValue, value);
  std::string summary;
  AppendBytes(summary, kSummaryValue, summary_value);
  std::string event;
  AppendDouble(event, kEventWallTime, wall_time);
  if (step != 0) {  // proto3 leaves fields at their default value out
    AppendTag(event, kEventStep, 0);
    AppendVarint(event, static_cast<uint64_t>(step));
  }
  AppendBytes(event, kEventSummary, summary);
  return event;
}

Result<EventFileWriter> EventFileWriter::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgumentError(dir + ": cannot create the TensorBoard folder: " + ec.message());
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const double wall_time = std::chrono::duration<double>(now).count();
  // Microseconds in the name keep two files opened in the same second apart.
  const std::string path = dir + "/events.out.tfevents." +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()) + "." +
                           HostName() + "." +
                           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return InvalidArgumentError(path + ": cannot create the TensorBoard event file");
  EventFileWriter writer(path, std::move(file));
  MDETR_RETURN_IF_ERROR(writer.Write(FileVersionEvent(wall_time)));
  MDETR_RETURN_IF_ERROR(writer.Flush());
  return writer;
}

Status EventFileWriter::AddScalar(std::string_view tag, int64_t step, double value, double wall_time) {
  return Write(ScalarEvent(wall_time, step, tag, static_cast<float>(value)));
}

Status EventFileWriter::Write(const std::string& event) {
  const std::string record = FrameRecord(event);
  file_.write(record.data(), static_cast<std::streamsize>(record.size()));
  if (!file_) return UnavailableError(path_ + ": write failed (disk full?)");
  return Status::Ok();
}

Status EventFileWriter::Flush() {
  file_.flush();
  if (!file_) return UnavailableError(path_ + ": flush failed (disk full?)");
  return Status::Ok();
}

}  // namespace mdetr::tensorboard
