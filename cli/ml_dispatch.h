// Hands ML commands (predict, train, evaluate, data, ...) to the `mdetr-ml` executable, which
// links LibTorch. The front end itself stays small and fast to start.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::cli {

// Commands that belong to mdetr-ml.
bool IsMlCommand(const std::string& command);

// Path of mdetr-ml: $MDETR_ML if set, else next to this executable, else its build location.
Result<std::string> FindMlExecutable();

// Replaces this process with `mdetr-ml args...`. Returns only on failure.
Status ExecMl(const std::vector<std::string>& args);

}  // namespace mdetr::cli
