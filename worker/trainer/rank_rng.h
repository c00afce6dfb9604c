// The random generators of every rank in a checkpoint, so that dropout (and any other draw from
// the global generators) continues on each rank exactly as in an uninterrupted run. Each rank
// seeds its own streams (run.seed + rank); restoring rank 0's state everywhere would give every
// rank the same dropout masks after a resume.
#pragma once

#include <torch/torch.h>

#include "common/status.h"
#include "worker/trainer/collective.h"

namespace mdetr::trainer {

struct RankRngStates {
  torch::Tensor cpu;   // [world size, bytes] uint8: row r is rank r's default CPU generator state
  torch::Tensor cuda;  // the same for the GPU generator of CUDA runs; undefined on CPU runs
};

// Collective (every rank calls it in the same order): every rank's states, on every rank.
Result<RankRngStates> GatherRngStates(Collective& collective, const torch::Device& device);

// Sets this rank's generators from its rows. NOT_FOUND when the states hold no row for `rank`
// (the run now has more ranks than the one that saved them); the generators are then unchanged.
Status RestoreRngStates(const RankRngStates& states, int rank, const torch::Device& device);

}  // namespace mdetr::trainer
