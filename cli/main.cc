// mdetr: the command-line front door of mdetr-cluster.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "cli/cluster_commands.h"
#include "cli/config_command.h"
#include "cli/ml_dispatch.h"

namespace {
constexpr const char* kVersion = "0.1.0";
}

int main(int argc, char** argv) {
  // ML commands go to mdetr-ml with the arguments untouched.
  if (argc >= 2 && mdetr::cli::IsMlCommand(argv[1])) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const mdetr::Status status = mdetr::cli::ExecMl(args);
    std::cerr << "mdetr: " << status.message() << "\n";
    return 127;
  }

  CLI::App app{"mdetr-cluster: pre-train, fine-tune, evaluate and serve MDETR on a cluster"};
  app.require_subcommand(1);
  app.footer(
      "ML commands (run by mdetr-ml): predict, train, evaluate, data, info, export, task.\n"
      "Run 'mdetr <command> --help' for a command's options.");
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "mdetr-cluster " << kVersion << "\n"; });
  mdetr::cli::AddConfigCommands(app, &exit_code);
  mdetr::cli::AddClusterCommands(app, &exit_code);

  if (argc >= 2 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
    }
    if (!known) {
      std::cerr << "mdetr: unknown command '" << argv[1] << "' (run 'mdetr --help' for the list)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
