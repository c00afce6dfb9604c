// The coordinator's scheduling core: a deterministic state machine, events in, actions out.
//
// It reads no clock, opens no socket and starts no thread, so the daemon, the unit tests and the
// simulated cluster drive the same code. Thread-compatible: one caller at a time.
//
// Policy, in order:
//  * Queue order is priority (larger first), then first submission (FIFO). A requeued task keeps
//    its place.
//  * A gang is placed whole or not at all (placement.h): on one worker when one has room, else
//    split evenly over workers; no GPU is ever given to two ranks.
//  * Backfill without starvation: walking the queue, a task that cannot start reserves the
//    capacity it will start on (the workers with the most free units when it first blocks; kept
//    while it waits). Later tasks only use what is left after all reservations of tasks ahead of
//    them, so a task never waits because a task behind it took capacity it could use, and the
//    gang at the head of the queue starts at the latest when everything that was running when it
//    blocked has finished (unless workers are lost meanwhile). Run times are not known, so a
//    backfilled task may still outlive the occupants of the reserved workers; it never delays
//    the gang past that bound.
//  * A task that cannot fit the current cluster shape even when it is empty is rejected at
//    submission with the reason. A pending task that stops fitting (workers lost) keeps waiting
//    without reserving anything, so it blocks nobody.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "coordinator/scheduler/actions.h"
#include "coordinator/scheduler/events.h"
#include "coordinator/scheduler/placement.h"
#include "coordinator/scheduler/scheduler_state.h"

namespace mdetr::scheduler {

struct SchedulerConfig {
  // A worker blamed for this many infrastructure failures in a row is quarantined.
  int quarantine_after_failures = 3;
  // Upper bound on the ranks of one gang; larger requests are rejected as invalid.
  int max_ranks = 65536;
  // How many blocked tasks, in queue order, hold capacity back in each pass (per kind of unit).
  // Tasks further back wait without a reservation: they still never take capacity a task ahead
  // could start on, and a pass over a long queue stays short (like a backfill depth).
  int max_reservations = 128;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerConfig config = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Applies one event and appends what to do to `actions`. A bad submission is answered with a
  // RejectTask action. An event that names an unknown worker or task, or a malformed worker spec,
  // returns an error and changes nothing. Stale reports (an old attempt) are ignored: OK, no action.
  Status Handle(const Event& event, std::vector<Action>* actions);

  // The state to persist; Restore(Snapshot()) continues exactly where this one is.
  SchedulerSnapshot Snapshot() const;
  // Rebuilds a scheduler from a snapshot. An inconsistent snapshot (a GPU held twice, a worker
  // index out of range, ...) is refused with an error naming the record.
  static Result<std::unique_ptr<Scheduler>> Restore(SchedulerConfig config, SchedulerSnapshot snapshot);

  // Read-only views, for status displays and checks. Null when unknown.
  const TaskRecord* FindTask(const TaskId& id) const;
  const WorkerRecord* FindWorker(const WorkerId& id) const;
  const std::vector<WorkerRecord>& workers() const { return workers_; }
  size_t pending_count() const;
  // The first pending task of the GPU (or CPU-slot) queue, null when that queue is empty.
  const TaskRecord* QueueHead(bool gpus) const;
  // Pending tasks in the order they will be considered (GPU tasks, then CPU-slot tasks).
  std::vector<TaskId> PendingOrder() const;
  // The capacity held back for blocked tasks after the last scheduling pass: (task, worker,
  // units), in queue order of the tasks.
  void ForEachReservation(const std::function<void(const TaskId&, const WorkerId&, int)>& fn) const;

 private:
  // Queue order: (-priority, submission sequence).
  using QueueKey = std::pair<int64_t, uint64_t>;
  struct Pool;  // scheduling state of one kind of unit (GPUs or CPU slots)

  // Event handlers.
  void Submit(const TaskSpec& spec, std::vector<Action>* actions);
  Status Cancel(const TaskId& id, std::vector<Action>* actions);
  Status Join(const WorkerSpec& spec, std::vector<Action>* actions);
  Status Lose(const WorkerId& id, std::vector<Action>* actions);
  Status Drain(const WorkerId& id);
  Status Release(const WorkerId& id);
  void Finish(const TaskFinished& report, std::vector<Action>* actions);

  // True if the spec is valid and fits the cluster's shape; otherwise appends a RejectTask saying
  // why and returns false.
  bool CheckSubmission(const TaskSpec& spec, std::vector<Action>* actions);
  // Tears down every attempt with a rank on `worker`; with `skip_worker` that worker is not sent
  // kills (it is gone).
  void TearDownWorker(int worker, bool skip_worker, const std::string& reason, std::vector<Action>* actions);
  // Ends the running attempt of `task` as failed and requeues or fails it by its budget.
  void FailAttempt(int task, FailureKind kind, const std::string& reason, std::vector<Action>* actions);
  // Gives the resources of the running attempt back to its workers.
  void FreeResources(int task);
  KillAttempt KillFor(int task, int skip_worker, const std::string& reason) const;
  void Enqueue(int task);
  // Takes a task out of its pool's queue; returns the next queue entry.
  std::set<std::pair<QueueKey, int>>::iterator Dequeue(Pool& pool,
                                                       std::set<std::pair<QueueKey, int>>::iterator it);
  // The class of a task: same ranks, units per rank and labels.
  int ClassOf(const TaskSpec& spec, const std::string& selector);
  Pool& PoolFor(const TaskSpec& spec);
  void MarkShapeChanged();

  // Scheduling passes.
  void Schedule(std::vector<Action>* actions);
  void RunPass(Pool& pool, std::vector<Action>* actions);
  // The rest of a pass once the reservation depth is reached, from queue entry `from` on.
  void RunTail(Pool& pool, std::pair<QueueKey, int> from, std::vector<Action>* actions);
  // Places or reserves for one pending task; true if it was placed.
  bool Consider(Pool& pool, int task, std::vector<Action>* actions);
  void Place(Pool& pool, int task, const std::vector<NodeShare>& shares, std::vector<Action>* actions);
  // Schedulable workers of the pool that carry the spec's labels; `selector`, when given, is
  // FormatLabels(spec.required_labels) computed once.
  const std::vector<int>& EligibleWorkers(Pool& pool, const TaskSpec& spec,
                                          const std::string* selector = nullptr);
  // Checks a restored snapshot and rebuilds what is derived from it.
  Status Rebuild();
  bool IsSchedulable(const WorkerRecord& worker) const { return worker.state == WorkerState::kAlive; }
  bool MatchesLabels(const WorkerRecord& worker, const Labels& required) const;
  // Whether the task's reservation from an earlier pass can be held again in this one.
  bool ReservationStillHolds(const Pool& pool, const TaskRecord& task) const;

  SchedulerConfig config_;
  std::vector<WorkerRecord> workers_;
  std::unordered_map<WorkerId, int> worker_index_;
  std::vector<TaskRecord> tasks_;
  std::unordered_map<TaskId, int> task_index_;
  std::vector<std::vector<int>> task_options_;  // UnitsPerNodeOptions of each task, derived
  std::vector<std::string> task_selectors_;     // FormatLabels of each task's labels, derived
  std::vector<int> task_class_;                 // ClassOf each task, derived
  std::map<std::tuple<int, int, std::string>, int> class_ids_;
  std::vector<int> remaining_;  // scratch of RunPass: queued tasks left to scan, per class
  // Scratch of RunTail: the next task of each live class, smallest queue key on top.
  std::vector<std::pair<QueueKey, int>> tail_heap_;
  uint64_t next_queue_seq_ = 1;
  AttemptId next_attempt_ = 1;
  std::unique_ptr<Pool> gpu_pool_;
  std::unique_ptr<Pool> cpu_pool_;
  GangFitter fitter_;
  std::vector<NodeShare> shares_;  // scratch
};

}  // namespace mdetr::scheduler
