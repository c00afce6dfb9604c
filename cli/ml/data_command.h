// `mdetr data synth --out DIR --images N --seed S`: the synthetic grounding dataset.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

void AddDataCommands(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli
