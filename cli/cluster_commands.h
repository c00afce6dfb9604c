// The cluster commands of `mdetr`: up, down, submit, sweep, status/ps, logs, cancel, resume,
// metrics, checkpoints, workers, events, keygen. They talk to the coordinator; none needs LibTorch.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

void AddClusterCommands(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli
