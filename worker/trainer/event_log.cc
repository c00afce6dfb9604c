#include "worker/trainer/event_log.h"

#include <array>
#include <chrono>
#include <iostream>

#include "common/log_line.h"

namespace mdetr::trainer {
namespace {

// Bookkeeping fields of a step event that are not curves worth plotting.
bool IsPlotted(const std::string& key) {
  return key != "type" && key != "step" && key != "epoch" && key != "time_ms" && key != "eta_s";
}

// The optimizer's parameter groups, in the order CurrentLearningRates reports them.
constexpr std::array<const char*, 3> kLrGroups = {"lr/transformer_and_heads", "lr/backbone", "lr/text_encoder"};

}  // namespace

EventLog::EventLog(const std::string& path, bool to_stdout) : to_stdout_(to_stdout) {
  if (!path.empty()) file_.open(path, std::ios::app);
}

Status EventLog::EnableTensorBoard(const std::string& dir) {
  auto writer = tensorboard::EventFileWriter::Open(dir);
  if (!writer.ok()) return writer.status();
  std::lock_guard<std::mutex> lock(mu_);
  tensorboard_ = std::make_unique<tensorboard::EventFileWriter>(std::move(writer).value());
  return Status::Ok();
}

void EventLog::Emit(nlohmann::json event) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  event["time_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  const std::string line = event.dump();
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.is_open()) {
    file_ << line << "\n";
    file_.flush();
  }
  if (to_stdout_) std::cout << kEventPrefix << line << std::endl;
  if (tensorboard_ && !tensorboard_failed_) WriteScalars(event, std::chrono::duration<double>(now).count());
}

void EventLog::WriteScalars(const nlohmann::json& event, double wall_time) {
  const std::string type = event.value("type", "");
  if (type != "step" && type != "eval") return;
  const int64_t step = event.value("step", int64_t{0});
  Status status = Status::Ok();
  auto add = [&](const std::string& tag, const nlohmann::json& value) {
    if (status.ok() && value.is_number()) status = tensorboard_->AddScalar(tag, step, value.get<double>(), wall_time);
  };
  if (type == "step") {
    for (const auto& [key, value] : event.items()) {
      if (key == "lr" && value.is_array()) {
        for (size_t g = 0; g < value.size() && g < kLrGroups.size(); ++g) add(kLrGroups[g], value[g]);
      } else if (IsPlotted(key)) {
        add("train/" + key, value);
      }
    }
  } else if (event.contains("metrics") && event["metrics"].is_object()) {
    for (const auto& [key, value] : event["metrics"].items()) add("eval/" + key, value);
  }
  if (status.ok()) status = tensorboard_->Flush();
  if (!status.ok()) {
    // The JSON-lines log stays the record of the run; a full disk must not stop training here.
    tensorboard_failed_ = true;
    logging::LogWarn("TensorBoard output stopped: " + status.ToString());
  }
}

}  // namespace mdetr::trainer
