// `mdetr config check FILE [--set k=v ...] [--json] [--print]`: validates an experiment config
// the way a task would load it, reporting every problem with its location.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

// Adds the `config` command group to `app`; sets *exit_code when one of its commands runs.
void AddConfigCommands(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli
