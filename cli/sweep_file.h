// Sweep files: the YAML that `mdetr sweep FILE` reads, turned into the coordinator's request.
//
//   name: lr-wd                 # required
//   base: ../tasks/x.yaml       # required: the experiment config, relative to this file
//   set: [optim.epochs=1]       # overrides applied to every trial
//   grid:                       # key -> list of values; every combination is a grid point
//     optim.lr: [1e-4, 2e-4]
//   random:                     # seeded random search; each grid point is crossed with the samples
//     samples: 8
//     seed: 17
//     space:
//       optim.weight_decay: {uniform: [0.0, 0.1]}
//       optim.lr_backbone: {log_uniform: [1.0e-6, 1.0e-4]}
//       model.num_queries: {choice: [50, 100]}
//       run.seed: {int_uniform: [0, 1000]}
//   max_concurrent: 3           # trials running at once (0: no limit)
//   priority: 0
//   after: job-...              # start from this job's checkpoints once it succeeds
//
// Every problem is reported at once as "file:line:column: key.path: what was expected".
#pragma once

#include <string>

#include "common/status.h"
#include "common/wire/messages.h"
#include "coordinator/daemon/sweep_plan.h"

namespace mdetr::cli {

// Reads and checks a sweep file (and loads its base config) into a SubmitSweep request.
Result<wire::SubmitSweep> ReadSweepFile(const std::string& path);

// Checks every trial's config the way the coordinator will (the base config, the sweep's `set`,
// the trial's values, then the experiment schema); the error names the trial.
Status CheckTrialConfigs(const wire::SubmitSweep& req, const coordinator::SweepPlan& plan);

}  // namespace mdetr::cli
