// Process-wide logging on top of spdlog. Daemons log an operational narrative (what happened and
// why), not debugging traces. Each process sets its component name once at start-up.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "common/status.h"

namespace mdetr::logging {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Options {
  std::string component = "mdetr";  // shown in every line: "coordinator", "worker-3", "task"
  Level level = Level::kInfo;
  std::string file;                 // empty: stderr only; otherwise stderr and this file
};

// Installs the default logger. Safe to call again (replaces the previous one).
Status Init(const Options& options);

// Parses "debug" | "info" | "warn" | "error".
Result<Level> ParseLevel(const std::string& text);

}  // namespace mdetr::logging

#define MDETR_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define MDETR_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define MDETR_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define MDETR_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
