// TensorBoard event files written without TensorFlow: scalar summaries framed as TFRecords
// (length, masked CRC-32C of the length, serialized `Event` proto, masked CRC-32C of the data),
// so `tensorboard --logdir` shows a task's loss terms, learning rates and evaluation metrics.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mdetr::tensorboard {

// CRC-32C (Castagnoli), as TFRecord framing uses it.
uint32_t Crc32c(std::string_view data);

// One TFRecord: the framing around `payload`.
std::string FrameRecord(std::string_view payload);

// The serialized `Event` protos this writer emits.
std::string FileVersionEvent(double wall_time);
std::string ScalarEvent(double wall_time, int64_t step, std::string_view tag, float value);

class EventFileWriter {
 public:
  // Creates `dir` if needed and a new file events.out.tfevents.<seconds>.<host> in it (TensorBoard reads
  // every such file of a folder, so a resumed task adds a file instead of rewriting one).
  static Result<EventFileWriter> Open(const std::string& dir);

  EventFileWriter(EventFileWriter&&) = default;
  EventFileWriter& operator=(EventFileWriter&&) = default;

  Status AddScalar(std::string_view tag, int64_t step, double value, double wall_time);
  // Data reaches the disk at each Flush (TensorBoard then shows it).
  Status Flush();
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::string path, std::ofstream file) : path_(std::move(path)), file_(std::move(file)) {}
  Status Write(const std::string& event);

  std::string path_;
  std::ofstream file_;
};

}  // namespace mdetr::tensorboard
