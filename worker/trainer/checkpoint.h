// Training checkpoints: everything needed to continue a run exactly where it stopped — model
// weights and buffers, optimizer state, EMA weights, step, epoch and position in the epoch, the
// RNG state, the config and the last metrics — in one file written atomically (temporary file,
// fsync, rename, fsync of the folder) with a CRC-32 recorded beside it. Loading checks the CRC
// and falls back to the previous checkpoint, with a warning, when the latest one is damaged.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::trainer {

struct TrainingPosition {
  int64_t step = 0;      // optimizer steps done
  int64_t epoch = 0;     // epoch of the next batch
  int64_t position = 0;  // index of the next batch within that epoch
};

struct CheckpointRecord {
  std::string path;
  TrainingPosition at;
  uint32_t crc32 = 0;
  uint64_t bytes = 0;
  std::map<std::string, double> metrics;
};

struct TrainingState {
  TrainingPosition at;
  std::map<std::string, torch::Tensor> model;  // name -> tensor (parameters and buffers)
  std::map<std::string, torch::Tensor> ema;    // empty without EMA
  std::string optimizer;                       // torch::optim serialised state
  torch::Tensor rng_state;                     // default CPU generator
  std::string config_yaml;
  std::map<std::string, double> metrics;
};

// Writes `state` as <dir>/checkpoint-<step>.pt (+ .json with the CRC) atomically.
Result<CheckpointRecord> SaveCheckpoint(const std::string& dir, const TrainingState& state);

// Checkpoints in `dir`, oldest first, as recorded by their .json sidecars.
std::vector<CheckpointRecord> ListCheckpoints(const std::string& dir);

// Loads one checkpoint, verifying its CRC. DATA_LOSS when damaged.
Result<TrainingState> LoadCheckpoint(const CheckpointRecord& record);

// The newest checkpoint that loads; damaged newer ones are reported in `warnings`.
Result<TrainingState> LoadLatestCheckpoint(const std::string& dir, std::vector<std::string>* warnings,
                                           CheckpointRecord* chosen = nullptr);

// What a user names as "a checkpoint of a run": a checkpoints folder (its newest usable checkpoint)
// or one checkpoint file of such a folder (found through the record beside it). Errors name `path`.
Result<TrainingState> LoadRunCheckpoint(const std::string& path);
// Whether LoadRunCheckpoint is the reader for `path`: a folder, or a file with its record beside it.
bool IsRunCheckpoint(const std::string& path);

// Keeps the newest `keep_last` checkpoints (and `keep_also`, e.g. the best one); deletes the rest.
void PruneCheckpoints(const std::string& dir, int keep_last, const std::string& keep_also = "");

}  // namespace mdetr::trainer
