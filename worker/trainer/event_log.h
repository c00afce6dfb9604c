// Structured progress events of a task (step metrics, evaluation results, checkpoint records,
// state changes): appended as JSON lines to <output>/events.jsonl and, for the worker daemon that
// runs the task, printed on stdout prefixed with "@@mdetr-event ". Optionally mirrored as
// TensorBoard scalars.
#pragma once

#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "common/tensorboard/event_file.h"

namespace mdetr::trainer {

inline constexpr const char* kEventPrefix = "@@mdetr-event ";

class EventLog {
 public:
  // `path` empty: stdout only. `to_stdout` false: file only.
  EventLog(const std::string& path, bool to_stdout);
  // From now on every numeric field of a `step` event becomes the scalar train/<field> (learning
  // rates lr/<group>) and every metric of an `eval` event eval/<metric>, at the event's step.
  Status EnableTensorBoard(const std::string& dir);
  void Emit(nlohmann::json event);

 private:
  void WriteScalars(const nlohmann::json& event, double wall_time);

  std::mutex mu_;
  std::ofstream file_;
  bool to_stdout_;
  std::unique_ptr<tensorboard::EventFileWriter> tensorboard_;
  bool tensorboard_failed_ = false;
};

}  // namespace mdetr::trainer
