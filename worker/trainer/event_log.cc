#include "worker/trainer/event_log.h"

#include <chrono>
#include <iostream>

namespace mdetr::trainer {

EventLog::EventLog(const std::string& path, bool to_stdout) : to_stdout_(to_stdout) {
  if (!path.empty()) file_.open(path, std::ios::app);
}

void EventLog::Emit(nlohmann::json event) {
  event["time_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::string line = event.dump();
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.is_open()) {
    file_ << line << "\n";
    file_.flush();
  }
  if (to_stdout_) std::cout << kEventPrefix << line << std::endl;
}

}  // namespace mdetr::trainer
