#include "cli/ml/train_command.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "common/config/experiment.h"
#include "worker/trainer/trainer.h"

namespace mdetr::cli {
namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  bool no_resume = false;
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int timeout_s = 60;
  bool quiet = false;
};

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

int Run(const TrainOptions& opt, const std::string& forced_kind) {
  auto doc = config::Document::Load(opt.config);
  if (!doc.ok()) {
    std::cerr << doc.status().message() << "\n";
    return trainer::kExitBadInput;
  }
  std::vector<std::string> overrides = opt.overrides;
  if (!forced_kind.empty()) overrides.push_back("run.kind=" + forced_kind);
  if (auto s = doc->ApplyOverrides(overrides); !s.ok()) {
    std::cerr << s.message() << "\n";
    return trainer::kExitBadInput;
  }
  auto cfg = config::ParseExperiment(*doc);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return trainer::kExitBadInput;
  }
  trainer::TrainerOptions t;
  t.config = *cfg;
  t.config_yaml = doc->ToYaml();
  t.output_dir = opt.out;
  t.resume = !opt.no_resume;
  t.events_on_stdout = !opt.quiet;
  // torchrun-style variables win when set, so a Slurm or torchrun launch needs no flags.
  t.rendezvous.rank = EnvInt("RANK", opt.rank);
  t.rendezvous.world_size = EnvInt("WORLD_SIZE", opt.world_size);
  t.rendezvous.master_addr = std::getenv("MASTER_ADDR") ? std::getenv("MASTER_ADDR") : opt.master_addr;
  t.rendezvous.master_port = EnvInt("MASTER_PORT", opt.master_port);
  t.rendezvous.timeout = std::chrono::milliseconds(static_cast<int64_t>(opt.timeout_s) * 1000);
  t.rendezvous.backend = cfg->run.device == "cuda" ? "nccl" : "gloo";
  trainer::InstallPreemptionHandlers();
  return trainer::RunTask(t);
}

CLI::App* AddCommand(CLI::App& app, const char* name, const char* help, const std::string& kind, int* exit_code) {
  auto opt = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("config", opt->config, "Experiment config (YAML)")->required();
  cmd->add_option("--set", opt->overrides, "Override a value: key.path=value (repeatable)");
  cmd->add_option("--out", opt->out, "Output folder (checkpoints/, events.jsonl)")->required();
  cmd->add_flag("--no-resume", opt->no_resume, "Start over even if the output folder has checkpoints");
  cmd->add_option("--rank", opt->rank, "This process's rank (or $RANK)");
  cmd->add_option("--world-size", opt->world_size, "Number of ranks (or $WORLD_SIZE)");
  cmd->add_option("--master-addr", opt->master_addr, "Rendezvous host (or $MASTER_ADDR)");
  cmd->add_option("--master-port", opt->master_port, "Rendezvous port (or $MASTER_PORT)");
  cmd->add_option("--collective-timeout", opt->timeout_s, "Seconds before a stuck collective fails the task");
  cmd->add_flag("--quiet", opt->quiet, "No event lines on stdout");
  cmd->callback([opt, kind, exit_code] { *exit_code = Run(*opt, kind); });
  return cmd;
}

}  // namespace

void AddTrainCommands(CLI::App& app, int* exit_code) {
  AddCommand(app, "train", "Train (pre-train or fine-tune) MDETR as configured", "", exit_code);
  AddCommand(app, "evaluate", "Evaluate a model on the config's validation datasets", "evaluate", exit_code);
  AddCommand(app, "task", "Run one rank of a cluster task (used by the worker daemon)", "", exit_code);
}

}  // namespace mdetr::cli
