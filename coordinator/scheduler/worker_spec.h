// What a worker offers the scheduler: GPUs (addressed by index), CPU slots for CPU-only ranks, and
// labels that tasks can require. Plain structs so that the scheduler state can be stored as is.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace mdetr::scheduler {

using WorkerId = std::string;
// key=value pairs, e.g. {"gpu": "h100", "zone": "a"}. Ordered so that messages list them stably.
using Labels = std::map<std::string, std::string>;

// GPU indices are bits of a 64-bit mask, so a worker has at most this many GPUs.
inline constexpr int kMaxGpusPerWorker = 64;

struct WorkerSpec {
  WorkerId id;
  int gpus = 0;       // GPU indices 0..gpus-1
  int cpu_slots = 0;  // slots for ranks that need no GPU
  Labels labels;
  // Changes every time the worker daemon starts. A join with a new incarnation means the ranks of
  // the old one are gone; a repeated join with the same incarnation is a duplicate message.
  uint64_t incarnation = 0;

  friend bool operator==(const WorkerSpec& a, const WorkerSpec& b) {
    return a.id == b.id && a.gpus == b.gpus && a.cpu_slots == b.cpu_slots && a.labels == b.labels &&
           a.incarnation == b.incarnation;
  }
};

enum class WorkerState {
  kAlive,        // takes new ranks
  kDraining,     // keeps its running ranks, takes no new ones
  kLost,         // gone; everything that ran on it was torn down
  kQuarantined,  // failed too many tasks in a row; takes no new ranks until released
};

const char* WorkerStateName(WorkerState state);

// "gpu=h100,zone=a": labels as a user writes them, in key order.
std::string FormatLabels(const Labels& labels);

}  // namespace mdetr::scheduler
