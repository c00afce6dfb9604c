// The per-kind scheduling state of Scheduler (internal to the scheduler library).
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "coordinator/scheduler/scheduler.h"

namespace mdetr::scheduler {

// One kind of unit (GPUs or CPU slots). The two kinds never share a unit, so each has its own
// queue and its own passes. The per-worker arrays are the state of the last pass; as long as the
// pool is not dirty, a task appended at the end of the queue can be considered on its own and the
// outcome is the same as a full pass.
struct Scheduler::Pool {
  bool gpus = true;
  std::set<std::pair<QueueKey, int>> queue;
  bool dirty = true;        // resources were freed or the queue changed ahead of its end
  bool shape_dirty = true;  // workers came, went or changed state

  std::vector<int> eligible;  // schedulable workers with capacity of this kind
  std::unordered_map<std::string, std::vector<int>> labeled_eligible;  // by label selector

  std::vector<int> capacity;  // per worker, 0 when not schedulable
  std::vector<int> free;      // units not held by running attempts
  std::vector<int> reserved;  // units held back for blocked tasks ahead in the queue
  std::vector<int> avail;     // max(0, free - reserved): what the next task may take
  std::vector<int> room;      // capacity - reserved: what the next blocked task may reserve
  int64_t total_avail = 0;

  struct Reservation {
    int task;
    int worker;
    int units;
  };
  std::vector<Reservation> reservations;
  int reserving_tasks = 0;  // tasks holding a reservation in this pass

  // Tasks are grouped in classes: same ranks, units per rank and labels (so the same eligible
  // workers). Within a pass avail and room only shrink, so once a task of a class could not be
  // placed, no later one of the class can; likewise for reserving anew (a task may still hold on
  // to its earlier reservation). A class that can do neither is dead for the rest of the pass.
  static constexpr uint8_t kCannotPlace = 1;
  static constexpr uint8_t kCannotReserve = 2;
  static constexpr uint8_t kDead = kCannotPlace | kCannotReserve;
  std::vector<uint8_t> memo;  // by class, for the current pass
  // The queue split by class, same order: lets a pass jump over the tasks of dead classes.
  std::vector<std::set<std::pair<QueueKey, int>>> class_queue;
  // The last pass stopped early because every task left in the queue was of a dead class.
  bool cut_short = false;

  uint8_t& MemoOf(int task_class) {
    if (static_cast<size_t>(task_class) >= memo.size()) memo.resize(static_cast<size_t>(task_class) + 1, 0);
    return memo[static_cast<size_t>(task_class)];
  }
  std::set<std::pair<QueueKey, int>>& ClassQueue(int task_class) {
    if (static_cast<size_t>(task_class) >= class_queue.size())
      class_queue.resize(static_cast<size_t>(task_class) + 1);
    return class_queue[static_cast<size_t>(task_class)];
  }

  int UnitsOf(const WorkerSpec& spec) const { return gpus ? spec.gpus : spec.cpu_slots; }
  int FreeOf(const WorkerRecord& w) const { return gpus ? w.free_gpus : w.free_cpus; }
  void SetAvail(int worker) {
    const int now = std::max(0, free[worker] - reserved[worker]);
    total_avail += now - avail[worker];
    avail[worker] = now;
  }
};

}  // namespace mdetr::scheduler
