// mdetr-ml: the ML side of the CLI. `mdetr <ml-command>` runs this executable.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <iostream>

#if MDETR_HAS_PREDICT
#include "cli/ml/export_command.h"
#include "cli/ml/predict_command.h"
#endif
#if MDETR_HAS_SYNTH
#include "cli/ml/data_command.h"
#endif
#if MDETR_HAS_TRAINER
#include "cli/ml/train_command.h"
#endif

namespace {

int RunInfo() {
  std::cout << "LibTorch " << TORCH_VERSION << "\n"
            << "intra-op threads: " << torch::get_num_threads() << "\n"
            << "CUDA build: " << (MDETR_HAS_CUDA ? "yes" : "no") << "\n"
            << "CUDA devices: " << (torch::cuda::is_available() ? torch::cuda::device_count() : 0) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mdetr-ml: MDETR model, data and training commands"};
  app.require_subcommand(1);
  int exit_code = 0;
  app.add_subcommand("info", "Show the LibTorch build and the devices it sees")->callback([&] {
    exit_code = RunInfo();
  });
#if MDETR_HAS_PREDICT
  mdetr::cli::AddPredictCommand(app, &exit_code);
  mdetr::cli::AddExportCommand(app, &exit_code);
#endif
#if MDETR_HAS_SYNTH
  mdetr::cli::AddDataCommands(app, &exit_code);
#endif
#if MDETR_HAS_TRAINER
  mdetr::cli::AddTrainCommands(app, &exit_code);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
