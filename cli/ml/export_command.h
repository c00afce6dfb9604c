// `mdetr export`: writes a model as a checkpoint in the reference's .pth layout
// ({"model": state_dict}), from a config with formula-defined weights (for demos and tests of the
// serving path) or, later, from a training checkpoint.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

void AddExportCommand(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli
