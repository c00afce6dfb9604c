// The program each rank of a task runs: pre-train, fine-tune or evaluate MDETR on the configured
// datasets, data-parallel over `world_size` ranks, with checkpoints that make a resumed run
// continue exactly (same weights, bit for bit, on CPU), structured events, and a clean stop on
// SIGTERM/SIGUSR1 (checkpoint, then exit code kExitPreempted).
#pragma once

#include <string>

#include "common/config/experiment.h"
#include "worker/trainer/collective.h"

namespace mdetr::trainer {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // a bug or an unexpected error
  kExitBadInput = 2,     // config, data or checkpoint the user must fix
  kExitPreempted = 3,    // stopped by a signal after saving a checkpoint: resume it
  kExitInfrastructure = 4,  // lost a peer, timed out in a collective, out of disk: retry elsewhere
};

struct TrainerOptions {
  config::ExperimentConfig config;
  std::string config_yaml;  // the effective config, recorded in checkpoints
  std::string output_dir;   // checkpoints/, events.jsonl
  bool resume = true;       // continue from the newest checkpoint in output_dir/checkpoints
  RendezvousOptions rendezvous;
  bool events_on_stdout = true;
};

int RunTask(const TrainerOptions& options);

// Installs SIGTERM/SIGUSR1 handlers that ask the running task to checkpoint and stop.
void InstallPreemptionHandlers();

}  // namespace mdetr::trainer
