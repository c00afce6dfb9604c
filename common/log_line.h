// Logging for translation units that include LibTorch. LibTorch ships its own copy of the fmt
// headers, which shadows the system fmt that spdlog (common/logging.h) is built against, so torch
// code must not include spdlog: it logs finished strings through these functions instead.
#pragma once

#include <string>

namespace mdetr::logging {

void LogInfo(const std::string& message);
void LogWarn(const std::string& message);
void LogError(const std::string& message);

}  // namespace mdetr::logging
