// A prefetching loader: worker threads decode and transform samples of upcoming batches while the
// trainer runs, keeping at most `prefetch` batches ready, and hand batches out in order. Every
// sample's augmentation is seeded by (seed, epoch, index), so the stream is the same for any
// number of workers, and Start(epoch, position) resumes exactly where an interrupted run was.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "datasets/grounding/collate.h"
#include "datasets/grounding/concat_dataset.h"
#include "datasets/grounding/distributed_sampler.h"
#include "datasets/grounding/grounding_dataset.h"

namespace mdetr::grounding {

struct LoaderOptions {
  SamplerOptions sampler;
  int num_workers = 2;
  int prefetch = 4;  // batches decoded ahead
  // Where the batches go. On a CUDA device (when CUDA is available) batches are collated in
  // pinned memory and Next() hands them out already on the device, copied without blocking, so
  // the copy overlaps the trainer's work. On the CPU nothing changes.
  torch::Device device = torch::kCPU;
};

class Loader {
 public:
  Loader(std::shared_ptr<const GroundingDataset> dataset, LoaderOptions options);
  // Several datasets as one: the sampler runs over the concatenation.
  Loader(std::shared_ptr<const ConcatDataset> datasets, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Begins `epoch` at batch `position` (0 for a fresh epoch).
  void Start(int64_t epoch, int64_t position = 0);
  // The next batch of the epoch, or nullopt when the epoch is over.
  std::optional<Batch> Next();
  int64_t batches_per_epoch() const;
  // Samples skipped so far because they could not be loaded (counted in the metrics).
  int64_t skipped_samples() const { return skipped_.load(); }

 private:
  void Stop();
  void WorkerLoop();
  Batch BuildBatch(int64_t position);

  std::shared_ptr<const ConcatDataset> dataset_;
  LoaderOptions options_;
  int64_t epoch_ = 0;
  std::vector<std::vector<int64_t>> batches_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Batch> ready_;
  int64_t next_to_build_ = 0;
  int64_t next_to_return_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::atomic<int64_t> skipped_{0};
  bool pin_memory_ = false;
};

// The seed of one sample's augmentation.
uint64_t SampleSeed(uint64_t seed, int64_t epoch, int64_t index);

}  // namespace mdetr::grounding
