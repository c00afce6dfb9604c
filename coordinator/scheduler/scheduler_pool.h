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

  // Within a pass, avail and room only shrink, so once a task of some shape could not be placed
  // on some set of eligible workers, no later one of the same shape and set can; likewise for
  // reserving anew (a task may still hold on to its earlier reservation).
  struct ShapeMemo {
    int ranks;
    int units_per_rank;
    const std::vector<int>* eligible;  // `eligible` or an entry of `labeled_eligible`
    bool cannot_place;
    bool cannot_reserve;
  };
  std::vector<ShapeMemo> memo;

  int UnitsOf(const WorkerSpec& spec) const { return gpus ? spec.gpus : spec.cpu_slots; }
  int FreeOf(const WorkerRecord& w) const { return gpus ? w.free_gpus : w.free_cpus; }
  void SetAvail(int worker) {
    const int now = std::max(0, free[worker] - reserved[worker]);
    total_avail += now - avail[worker];
    avail[worker] = now;
  }
  ShapeMemo* FindMemo(const TaskSpec& spec, const std::vector<int>* workers) {
    for (ShapeMemo& m : memo) {
      if (m.ranks == spec.ranks && m.units_per_rank == spec.units_per_rank() && m.eligible == workers)
        return &m;
    }
    memo.push_back({spec.ranks, spec.units_per_rank(), workers, false, false});
    return &memo.back();
  }
};

}  // namespace mdetr::scheduler
