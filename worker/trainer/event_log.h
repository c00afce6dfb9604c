// Structured progress events of a task (step metrics, evaluation results, checkpoint records,
// state changes): appended as JSON lines to <output>/events.jsonl and, for the worker daemon that
// runs the task, printed on stdout prefixed with "@@mdetr-event ".
#pragma once

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace mdetr::trainer {

inline constexpr const char* kEventPrefix = "@@mdetr-event ";

class EventLog {
 public:
  // `path` empty: stdout only. `to_stdout` false: file only.
  EventLog(const std::string& path, bool to_stdout);
  void Emit(nlohmann::json event);

 private:
  std::mutex mu_;
  std::ofstream file_;
  bool to_stdout_;
};

}  // namespace mdetr::trainer
