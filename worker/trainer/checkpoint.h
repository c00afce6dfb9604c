// Training checkpoints: everything needed to continue a run exactly where it stopped — model
// weights and buffers, optimizer state, EMA weights, step, epoch and position in the epoch, every
// rank's random generator states (CPU, and GPU on CUDA runs), the config and the last metrics — in one file written atomically (temporary file,
// fsync, rename, fsync of the folder) with a CRC-32 recorded beside it. Loading checks the CRC
// and falls back to the previous checkpoint, with a warning, when the latest one is damaged.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
  // The optimizer's state. Saving: `write_optimizer`, when set, writes it into the checkpoint as a
  // nested archive whose tensors go to the file as they are; otherwise the bytes of `optimizer` are
  // stored. A full-size model's AdamW state is 1.5 GB, and as bytes it was held four times over
  // while saving (the serialised string, its copy here, the archive's copy, the pickle's): with
  // the whole file also assembled in memory, the final checkpoint of a 3-step ResNet-101 run (480
  // px, batch 2) took the trainer from 6.2 to 16.9 GiB resident; streamed, it stays at 6.2.
  // Loading: a checkpoint with the nested archive fills `optimizer_archive` (see
  // LoadOptimizerState), an older one `optimizer`.
  std::string optimizer;
  std::function<void(torch::serialize::OutputArchive&)> write_optimizer;
  std::shared_ptr<torch::serialize::InputArchive> optimizer_archive;
  // Every rank's generator states, row r for rank r ([world size, state bytes], uint8): the CPU
  // generator's, and the GPU's for CUDA runs (undefined otherwise). A checkpoint written before
  // every rank's was recorded loads with rank 0's row only.
  torch::Tensor rank_rng_states, rank_cuda_rng_states;
  std::string config_yaml;
  std::map<std::string, double> metrics;
};

// Writes `state` as <dir>/checkpoint-<step>.pt (+ .json with the CRC) atomically. The archive is
// streamed to the file (the CRC computed on the way), never held in memory whole.
Result<CheckpointRecord> SaveCheckpoint(const std::string& dir, const TrainingState& state);

// Checkpoints in `dir`, oldest first, as recorded by their .json sidecars.
std::vector<CheckpointRecord> ListCheckpoints(const std::string& dir);

// Loads one checkpoint, verifying its CRC. DATA_LOSS when damaged.
Result<TrainingState> LoadCheckpoint(const CheckpointRecord& record);

// Restores `optimizer` from a loaded checkpoint's state, either form; DATA_LOSS when it does not decode.
Status LoadOptimizerState(const TrainingState& state, torch::optim::Optimizer& optimizer);

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
