// `mdetr train CONFIG [--set k=v ...] --out DIR`: runs a training (or evaluation) task in this
// process; with --rank/--world-size/--master-* it is one rank of a data-parallel task (the worker
// daemon starts ranks this way, `mdetr task`). `mdetr evaluate` is the same with run.kind=evaluate.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

void AddTrainCommands(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli
