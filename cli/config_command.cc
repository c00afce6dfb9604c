#include "cli/config_command.h"

#include <iostream>
#include <memory>
#include <sstream>
#include <nlohmann/json.hpp>

#include "common/config/experiment.h"

namespace mdetr::cli {
namespace {

struct CheckOptions {
  std::string file;
  std::vector<std::string> overrides;
  bool json = false;
  bool print = false;
};

int RunCheck(const CheckOptions& opt) {
  auto doc = config::Document::Load(opt.file);
  Status status = doc.ok() ? doc->ApplyOverrides(opt.overrides) : doc.status();
  Result<config::ExperimentConfig> cfg = status.ok() ? config::ParseExperiment(*doc) : Result<config::ExperimentConfig>(status);
  if (opt.json) {
    nlohmann::json out;
    out["file"] = opt.file;
    out["ok"] = cfg.ok();
    out["errors"] = nlohmann::json::array();
    if (!cfg.ok()) {
      std::string line;
      std::istringstream lines(cfg.status().message());
      while (std::getline(lines, line)) out["errors"].push_back(line);
    }
    if (cfg.ok() && opt.print) out["effective"] = doc->ToYaml();
    std::cout << out.dump(2) << "\n";
    return cfg.ok() ? 0 : 2;
  }
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 2;
  }
  if (opt.print) std::cout << doc->ToYaml() << "\n";
  std::cout << opt.file << ": ok (" << cfg->model.backbone << ", " << cfg->model.text_encoder.type << ", "
            << cfg->run.kind << ")\n";
  return 0;
}

}  // namespace

void AddConfigCommands(CLI::App& app, int* exit_code) {
  auto* config = app.add_subcommand("config", "Inspect and validate experiment configs");
  config->require_subcommand(1);
  auto opt = std::make_shared<CheckOptions>();
  auto* check = config->add_subcommand("check", "Validate a config; every problem is reported with file:line:column");
  check->add_option("file", opt->file, "YAML config")->required();
  check->add_option("--set", opt->overrides, "Override a value: key.path=value (repeatable)");
  check->add_flag("--json", opt->json, "Machine-readable output");
  check->add_flag("--print", opt->print, "Print the effective config (extends and overrides applied)");
  check->callback([opt, exit_code] { *exit_code = RunCheck(*opt); });
}

}  // namespace mdetr::cli
