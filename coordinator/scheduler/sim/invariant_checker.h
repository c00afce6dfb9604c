// An independent ledger of the cluster, rebuilt from the events fed to a Scheduler and the
// actions it answered, that checks after every step:
//  * no GPU (or CPU slot) is held by two attempts, and ranks only go to alive workers;
//  * every placement holds the whole gang, split evenly over its workers;
//  * a task only runs once at a time, attempts only grow, stale reports change nothing;
//  * when a worker is lost every gang touching it is killed and requeued or failed;
//  * no task placed in a step took capacity that a pending task ahead of it in the queue
//    (higher priority, or same priority and earlier) could have started on. Capacity the
//    scheduler holds back for tasks further ahead still is not counted as usable.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "coordinator/scheduler/actions.h"
#include "coordinator/scheduler/events.h"
#include "coordinator/scheduler/scheduler.h"

namespace mdetr::scheduler::sim {

class InvariantChecker {
 public:
  // `scheduler` is read only for the capacity it reports as held back (ForEachReservation).
  explicit InvariantChecker(const Scheduler* scheduler) : scheduler_(scheduler) {}

  // Checks one step: `event` was handled and answered with `actions`.
  void Check(const Event& event, const std::vector<Action>& actions);
  // Compares the ledger with the scheduler's own free counts.
  void CheckBooks();

  const std::vector<std::string>& violations() const { return violations_; }
  size_t running() const;

 private:
  using Key = std::pair<int64_t, uint64_t>;  // queue order
  struct Worker {
    WorkerSpec spec;
    WorkerState state = WorkerState::kAlive;
    std::vector<std::string> gpu_owner;  // task id per GPU, empty when free
    int free_gpus = 0;
    int cpus_used = 0;
  };
  struct Holding {
    int worker;  // index into workers_
    std::vector<int> gpus;
    int cpus = 0;
  };
  struct Task {
    TaskSpec spec;
    Key key;
    enum { kPending, kRunning, kDone } state = kPending;
    AttemptId attempt = 0;
    std::vector<Holding> holdings;
  };

  void Fail(std::string message);
  void FreeAttempt(Task& task);
  void CheckPlace(const PlaceTask& place, std::vector<const Task*>* placed);
  void CheckPriorities(const std::vector<const Task*>& placed);
  bool FitsAhead(const Task& waiting, const Task& placed);
  Worker& WorkerNamed(const std::string& id);
  void SetPending(Task& task, bool pending);

  const Scheduler* scheduler_;
  std::vector<Worker> workers_;
  std::unordered_map<std::string, int> worker_index_;
  struct Held {
    Key key;
    int worker;
    int units;
  };
  std::vector<Held> held_;  // the scheduler's reservations in this step, by worker index
  std::unordered_map<std::string, Task> tasks_;
  uint64_t next_order_ = 0;
  AttemptId last_attempt_ = 0;
  // Pending tasks grouped by shape (ranks, units per rank), in queue order.
  std::map<std::pair<int, int>, std::set<std::pair<Key, std::string>>> pending_by_shape_;
  std::vector<std::string> violations_;
};

}  // namespace mdetr::scheduler::sim
