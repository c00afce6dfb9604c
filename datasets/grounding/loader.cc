#include "datasets/grounding/loader.h"

#include <torch/cuda.h>

#include "common/log_line.h"

namespace mdetr::grounding {

uint64_t SampleSeed(uint64_t seed, int64_t epoch, int64_t index) {
  // splitmix64 over the three values: well-spread seeds for neighbouring indices.
  uint64_t z = seed ^ (static_cast<uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL) ^
               (static_cast<uint64_t>(index) * 0xBF58476D1CE4E5B9ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Loader::Loader(std::shared_ptr<const GroundingDataset> dataset, LoaderOptions options)
    : Loader(std::make_shared<const ConcatDataset>(
                 std::vector<std::shared_ptr<const GroundingDataset>>{std::move(dataset)}),
             std::move(options)) {}

Loader::Loader(std::shared_ptr<const ConcatDataset> datasets, LoaderOptions options)
    : dataset_(std::move(datasets)), options_(std::move(options)) {
  options_.sampler.dataset_size = dataset_->size();
  pin_memory_ = options_.device.is_cuda() && torch::cuda::is_available();
}

Loader::~Loader() { Stop(); }

int64_t Loader::batches_per_epoch() const {
  return static_cast<int64_t>(EpochBatches(options_.sampler, 0).size());
}

void Loader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Loader::Start(int64_t epoch, int64_t position) {
  Stop();
  std::lock_guard<std::mutex> lock(mu_);
  epoch_ = epoch;
  batches_ = EpochBatches(options_.sampler, epoch);
  ready_.clear();
  next_to_build_ = next_to_return_ = std::min<int64_t>(position, static_cast<int64_t>(batches_.size()));
  stopping_ = false;
  const int n = std::max(1, options_.num_workers);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

Batch Loader::BuildBatch(int64_t position) {
  std::vector<Sample> samples;
  int64_t skipped = 0;
  for (int64_t index : batches_[static_cast<size_t>(position)]) {
    std::mt19937_64 rng(SampleSeed(options_.sampler.seed, epoch_, index));
    auto s = dataset_->Get(index, rng);
    if (!s.ok()) {
      logging::LogWarn("skipping sample " + std::to_string(index) + ": " + s.status().message());
      ++skipped;
      continue;
    }
    samples.push_back(std::move(s).value());
  }
  skipped_ += skipped;
  Batch b = samples.empty() ? Batch{} : Collate(std::move(samples), /*pad_id=*/1, pin_memory_);
  b.epoch = epoch_;
  b.position = position;
  b.skipped = skipped;
  return b;
}

void Loader::WorkerLoop() {
  while (true) {
    int64_t position;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || (next_to_build_ < static_cast<int64_t>(batches_.size()) &&
                             next_to_build_ < next_to_return_ + options_.prefetch);
      });
      if (stopping_) return;
      position = next_to_build_++;
    }
    Batch b = BuildBatch(position);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_[position] = std::move(b);
    }
    cv_.notify_all();
  }
}

std::optional<Batch> Loader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (next_to_return_ >= static_cast<int64_t>(batches_.size())) return std::nullopt;
    cv_.wait(lock, [&] { return ready_.count(next_to_return_) > 0 || stopping_; });
    if (stopping_) return std::nullopt;
    Batch b = std::move(ready_[next_to_return_]);
    ready_.erase(next_to_return_);
    ++next_to_return_;
    cv_.notify_all();
    if (b.samples.empty()) continue;  // every sample of this batch was unreadable
    if (!pin_memory_) return b;
    lock.unlock();  // workers keep decoding while the copy is queued
    return ToDevice(std::move(b), options_.device);
  }
}

}  // namespace mdetr::grounding
