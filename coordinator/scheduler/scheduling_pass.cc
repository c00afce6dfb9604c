// Scheduling passes: walk the queue in order, place what fits, hold capacity back for what does not.
#include <algorithm>
#include <cassert>
#include <iterator>

#include "coordinator/scheduler/scheduler.h"
#include "coordinator/scheduler/scheduler_pool.h"

namespace mdetr::scheduler {
namespace {

// Takes the `count` lowest set bits of `*mask` out of it and returns them.
uint64_t TakeLowestBits(uint64_t* mask, int count) {
  uint64_t taken = 0;
  for (int i = 0; i < count; ++i) {
    const uint64_t bit = *mask & (~*mask + 1);
    taken |= bit;
    *mask &= ~bit;
  }
  return taken;
}

std::vector<int> BitIndices(uint64_t mask) {
  std::vector<int> out;
  for (int i = 0; mask != 0; ++i, mask >>= 1) {
    if (mask & 1) out.push_back(i);
  }
  return out;
}

}  // namespace

void Scheduler::Schedule(std::vector<Action>* actions) {
  for (Pool* pool : {gpu_pool_.get(), cpu_pool_.get()}) {
    if (pool->dirty) RunPass(*pool, actions);
  }
}

const std::vector<int>& Scheduler::EligibleWorkers(Pool& pool, const TaskSpec& spec,
                                                   const std::string* selector) {
  if (pool.shape_dirty) {
    pool.eligible.clear();
    pool.labeled_eligible.clear();
    for (int w = 0; w < static_cast<int>(workers_.size()); ++w) {
      if (IsSchedulable(workers_[w]) && pool.UnitsOf(workers_[w].spec) > 0) pool.eligible.push_back(w);
    }
    pool.shape_dirty = false;
  }
  if (spec.required_labels.empty()) return pool.eligible;
  auto [it, inserted] =
      pool.labeled_eligible.try_emplace(selector != nullptr ? *selector : FormatLabels(spec.required_labels));
  if (inserted) {
    for (int w : pool.eligible) {
      if (MatchesLabels(workers_[w], spec.required_labels)) it->second.push_back(w);
    }
  }
  return it->second;
}

void Scheduler::RunPass(Pool& pool, std::vector<Action>* actions) {
  const size_t n = workers_.size();
  pool.capacity.assign(n, 0);
  pool.free.assign(n, 0);
  pool.reserved.assign(n, 0);
  pool.total_avail = 0;
  static const TaskSpec kNoLabels;
  for (int w : EligibleWorkers(pool, kNoLabels)) {
    pool.capacity[w] = pool.UnitsOf(workers_[w].spec);
    pool.free[w] = pool.FreeOf(workers_[w]);
    pool.total_avail += pool.free[w];
  }
  pool.avail = pool.free;
  pool.room = pool.capacity;
  pool.reservations.clear();
  pool.reserving_tasks = 0;
  std::fill(pool.memo.begin(), pool.memo.end(), 0);
  pool.cut_short = false;
  pool.dirty = false;
  // Tasks left to scan per class, and how many of them are of classes still alive: once none
  // is, nothing behind can be placed and the rest of the queue is skipped.
  remaining_.assign(pool.class_queue.size(), 0);
  for (size_t c = 0; c < pool.class_queue.size(); ++c)
    remaining_[c] = static_cast<int>(pool.class_queue[c].size());
  auto live = static_cast<int64_t>(pool.queue.size());
  for (auto it = pool.queue.begin(); it != pool.queue.end() && pool.total_avail > 0;) {
    if (live == 0) {
      pool.cut_short = true;
      break;
    }
    if (pool.reserving_tasks >= config_.max_reservations) {
      RunTail(pool, *it, actions);
      break;
    }
    const int index = it->second;
    const int task_class = task_class_[index];
    --remaining_[static_cast<size_t>(task_class)];
    const bool was_dead = pool.MemoOf(task_class) == Pool::kDead;
    if (!was_dead) --live;
    const bool placed = Consider(pool, index, actions);
    if (!was_dead && pool.MemoOf(task_class) == Pool::kDead)
      live -= remaining_[static_cast<size_t>(task_class)];
    it = placed ? Dequeue(pool, it) : std::next(it);
  }
}

// Past the reservation depth nobody reserves, so a task either starts or its class is dead for
// the rest of the pass. Instead of walking every queued task, walk the classes' own queues in
// merged queue order and drop a class as soon as it is dead: the cost follows the placements, not
// the length of the queue.
void Scheduler::RunTail(Pool& pool, std::pair<QueueKey, int> from, std::vector<Action>* actions) {
  auto later = [](const std::pair<QueueKey, int>& a, const std::pair<QueueKey, int>& b) { return a > b; };
  tail_heap_.clear();
  for (size_t c = 0; c < pool.class_queue.size(); ++c) {
    if (pool.MemoOf(static_cast<int>(c)) == Pool::kDead) continue;
    auto next = pool.class_queue[c].lower_bound(from);
    if (next != pool.class_queue[c].end()) tail_heap_.push_back(*next);
  }
  std::make_heap(tail_heap_.begin(), tail_heap_.end(), later);
  while (!tail_heap_.empty() && pool.total_avail > 0) {
    std::pop_heap(tail_heap_.begin(), tail_heap_.end(), later);
    const std::pair<QueueKey, int> entry = tail_heap_.back();
    tail_heap_.pop_back();
    const int task_class = task_class_[entry.second];
    auto& own = pool.ClassQueue(task_class);
    auto next = std::next(own.find(entry));
    const bool has_next = next != own.end();
    const std::pair<QueueKey, int> next_entry = has_next ? *next : entry;
    if (Consider(pool, entry.second, actions)) Dequeue(pool, pool.queue.find(entry));
    if (has_next && pool.MemoOf(task_class) != Pool::kDead) {
      tail_heap_.push_back(next_entry);
      std::push_heap(tail_heap_.begin(), tail_heap_.end(), later);
    }
  }
}

bool Scheduler::Consider(Pool& pool, int index, std::vector<Action>* actions) {
  TaskRecord& task = tasks_[index];
  const TaskSpec& spec = task.spec;
  uint8_t& memo = pool.MemoOf(task_class_[index]);
  const std::vector<int>& options = task_options_[index];
  const int64_t total = spec.total_units();
  // Looked up only when needed: most tasks of a long queue are settled by the memo.
  auto eligible = [&]() -> const std::vector<int>& {
    return EligibleWorkers(pool, spec, &task_selectors_[index]);
  };
  if ((memo & Pool::kCannotPlace) == 0) {
    if (total <= pool.total_avail && fitter_.Fit(options, total, eligible(), pool.avail, &shares_)) {
      Place(pool, index, shares_, actions);
      return true;
    }
    memo |= Pool::kCannotPlace;
  }
  if (pool.reserving_tasks >= config_.max_reservations) {
    // Past the reservation depth: nobody behind reserves either. An earlier reservation is kept
    // on record (not held in this pass) and may be taken up again in a later one.
    memo |= Pool::kCannotReserve;
    return false;
  }
  if (ReservationStillHolds(pool, task)) {
    shares_.clear();
    for (const auto& [node, units] : task.reservation) shares_.push_back({node, units});
  } else if ((memo & Pool::kCannotReserve) == 0 &&
             fitter_.Reserve(options, total, eligible(), pool.room, pool.avail, &shares_)) {
    task.reservation.clear();
    for (const NodeShare& share : shares_) task.reservation.emplace_back(share.node, share.units);
  } else {
    task.reservation.clear();
    memo |= Pool::kCannotReserve;
    return false;
  }
  ++pool.reserving_tasks;
  for (const NodeShare& share : shares_) {
    pool.reserved[share.node] += share.units;
    pool.room[share.node] -= share.units;
    pool.SetAvail(share.node);
    pool.reservations.push_back({index, share.node, share.units});
  }
  return false;
}

bool Scheduler::ReservationStillHolds(const Pool& pool, const TaskRecord& task) const {
  if (task.reservation.empty()) return false;
  for (const auto& [node, units] : task.reservation) {
    const WorkerRecord& w = workers_[node];
    if (!IsSchedulable(w) || pool.room[node] < units || !MatchesLabels(w, task.spec.required_labels))
      return false;
  }
  return true;
}

void Scheduler::Place(Pool& pool, int index, const std::vector<NodeShare>& shares,
                      std::vector<Action>* actions) {
  TaskRecord& task = tasks_[index];
  task.reservation.clear();
  const TaskSpec& spec = task.spec;
  task.state = TaskState::kRunning;
  task.attempt = next_attempt_++;
  task.ranks.clear();
  PlaceTask place{spec.id, task.attempt, {}};
  place.ranks.reserve(static_cast<size_t>(spec.ranks));
  for (const NodeShare& share : shares) {
    WorkerRecord& w = workers_[share.node];
    const int ranks_here = share.units / spec.units_per_rank();
    for (int r = 0; r < ranks_here; ++r) {
      RankSlot slot{share.node, 0, 0};
      RankPlacement rank{w.spec.id, {}, 0};
      if (spec.uses_gpus()) {
        slot.gpu_mask = TakeLowestBits(&w.free_gpu_mask, spec.gpus_per_rank);
        w.free_gpus -= spec.gpus_per_rank;
        rank.gpus = BitIndices(slot.gpu_mask);
      } else {
        slot.cpu_slots = spec.cpus_per_rank;
        w.free_cpus -= spec.cpus_per_rank;
        rank.cpu_slots = spec.cpus_per_rank;
      }
      task.ranks.push_back(slot);
      place.ranks.push_back(std::move(rank));
    }
    w.tasks.push_back(index);
    pool.free[share.node] -= share.units;
    pool.SetAvail(share.node);
  }
  assert(static_cast<int>(task.ranks.size()) == spec.ranks);
  actions->push_back(std::move(place));
}

}  // namespace mdetr::scheduler
