#include "coordinator/scheduler/scheduler.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "common/ids.h"
#include "coordinator/scheduler/scheduler_pool.h"

namespace mdetr::scheduler {
namespace {

const char* UnitName(const TaskSpec& spec) { return spec.uses_gpus() ? "GPUs" : "CPU slots"; }

uint64_t AllGpus(int gpus) { return gpus >= 64 ? ~uint64_t{0} : (uint64_t{1} << gpus) - 1; }

int& FailureCount(TaskRecord& task, FailureKind kind) {
  switch (kind) {
    case FailureKind::kPreempted:
      return task.preempted_failures;
    case FailureKind::kInfrastructure:
      return task.infrastructure_failures;
    case FailureKind::kUserError:
      break;
  }
  return task.user_failures;
}

}  // namespace

Scheduler::Scheduler(SchedulerConfig config)
    : config_(config), gpu_pool_(std::make_unique<Pool>()), cpu_pool_(std::make_unique<Pool>()) {
  cpu_pool_->gpus = false;
}

Scheduler::~Scheduler() = default;

Status Scheduler::Handle(const Event& event, std::vector<Action>* actions) {
  Status status;
  if (const auto* e = std::get_if<SubmitTask>(&event)) {
    Submit(e->spec, actions);
  } else if (const auto* c = std::get_if<CancelTask>(&event)) {
    status = Cancel(c->task, actions);
  } else if (const auto* j = std::get_if<WorkerJoined>(&event)) {
    status = Join(j->spec, actions);
  } else if (const auto* l = std::get_if<WorkerLost>(&event)) {
    status = Lose(l->worker, actions);
  } else if (const auto* d = std::get_if<WorkerDrain>(&event)) {
    status = Drain(d->worker);
  } else if (const auto* r = std::get_if<WorkerRelease>(&event)) {
    status = Release(r->worker);
  } else if (const auto* f = std::get_if<TaskFinished>(&event)) {
    Finish(*f, actions);
  }
  Schedule(actions);
  return status;
}

// ---- Submissions --------------------------------------------------------------------------------

void Scheduler::Submit(const TaskSpec& spec, std::vector<Action>* actions) {
  if (auto it = task_index_.find(spec.id); it != task_index_.end()) {
    // Idempotent: the same submission again changes nothing; a different task under a taken id
    // is refused without touching the first one.
    if (!(tasks_[it->second].spec == spec)) {
      actions->push_back(RejectTask{spec.id, RejectCode::kDuplicateId,
                                    fmt::format("task id '{}' is already used by a different task ({}); "
                                                "submit under a new id",
                                                spec.id, TaskStateName(tasks_[it->second].state))});
    }
    return;
  }
  if (!CheckSubmission(spec, actions)) return;
  const int index = static_cast<int>(tasks_.size());
  TaskRecord record;
  record.spec = spec;
  record.queue_seq = next_queue_seq_++;
  tasks_.push_back(std::move(record));
  task_options_.push_back(UnitsPerNodeOptions(spec.ranks, spec.units_per_rank()));
  task_selectors_.push_back(FormatLabels(spec.required_labels));
  task_class_.push_back(ClassOf(spec, task_selectors_.back()));
  task_index_.emplace(spec.id, index);
  Pool& pool = PoolFor(spec);
  Enqueue(index);
  // Fast path: a task that lands at the end of a clean queue is considered on its own against the
  // state left by the last pass, which is exactly what a full pass would do. If that pass stopped
  // early at a tail of dead classes, a task of a dead class would be skipped by a full pass too.
  const bool last = std::prev(pool.queue.end())->second == index;
  if (pool.dirty || !last) {
    pool.dirty = true;
  } else if (pool.cut_short) {
    if (pool.MemoOf(task_class_[index]) != Pool::kDead) pool.dirty = true;
  } else if (pool.total_avail > 0 && Consider(pool, index, actions)) {
    Dequeue(pool, std::prev(pool.queue.end()));
  }
}

bool Scheduler::CheckSubmission(const TaskSpec& spec, std::vector<Action>* actions) {
  auto reject = [&](RejectCode code, std::string reason) {
    actions->push_back(RejectTask{spec.id, code, std::move(reason)});
    return false;
  };
  if (!IsValidId(spec.id)) {
    return reject(RejectCode::kInvalidSpec,
                  fmt::format("task id '{}': expected 3..64 of [a-z0-9-], starting with a letter", spec.id));
  }
  if (spec.ranks < 1 || spec.ranks > config_.max_ranks) {
    return reject(RejectCode::kInvalidSpec,
                  fmt::format("task {}: ranks = {}, expected 1..{}", spec.id, spec.ranks, config_.max_ranks));
  }
  if (spec.gpus_per_rank < 0 || spec.gpus_per_rank > kMaxGpusPerWorker || spec.cpus_per_rank < 0) {
    return reject(RejectCode::kInvalidSpec,
                  fmt::format("task {}: gpus_per_rank = {}, cpus_per_rank = {}, expected gpus_per_rank in "
                              "0..{} and cpus_per_rank >= 0",
                              spec.id, spec.gpus_per_rank, spec.cpus_per_rank, kMaxGpusPerWorker));
  }
  if ((spec.gpus_per_rank > 0) == (spec.cpus_per_rank > 0)) {
    return reject(RejectCode::kInvalidSpec,
                  fmt::format("task {}: a rank needs either GPUs or CPU slots, got gpus_per_rank = {} and "
                              "cpus_per_rank = {}",
                              spec.id, spec.gpus_per_rank, spec.cpus_per_rank));
  }
  if (spec.retries.preempted < 0 || spec.retries.infrastructure < 0 || spec.retries.user_error < 0) {
    return reject(RejectCode::kInvalidSpec, fmt::format("task {}: retry budgets must be >= 0", spec.id));
  }
  for (const auto& [key, value] : spec.required_labels) {
    if (key.empty())
      return reject(RejectCode::kInvalidSpec, fmt::format("task {}: empty label key", spec.id));
    bool known = false;
    for (const WorkerRecord& w : workers_) {
      if (!IsSchedulable(w)) continue;
      auto it = w.spec.labels.find(key);
      if (it != w.spec.labels.end() && it->second == value) {
        known = true;
        break;
      }
    }
    if (!known) {
      return reject(RejectCode::kUnknownLabels,
                    fmt::format("task {}: no alive worker has label {}={}", spec.id, key, value));
    }
  }
  Pool& pool = PoolFor(spec);
  const std::vector<int>& eligible = EligibleWorkers(pool, spec);
  if (eligible.empty()) {
    if (!spec.required_labels.empty()) {
      return reject(RejectCode::kUnknownLabels,
                    fmt::format("task {}: no alive worker with {} has all the labels {}", spec.id,
                                UnitName(spec), FormatLabels(spec.required_labels)));
    }
    return reject(RejectCode::kNeverFits,
                  fmt::format("task {}: no alive worker has {}", spec.id, UnitName(spec)));
  }
  std::vector<int> capacity(workers_.size(), 0);
  int largest = 0;
  int64_t total = 0;
  for (int w : eligible) {
    capacity[w] = pool.UnitsOf(workers_[w].spec);
    largest = std::max(largest, capacity[w]);
    total += capacity[w];
  }
  const std::vector<int> options = UnitsPerNodeOptions(spec.ranks, spec.units_per_rank());
  if (!fitter_.EverFits(options, spec.total_units(), eligible, capacity)) {
    return reject(RejectCode::kNeverFits,
                  fmt::format("task {}: needs {} {} ({} ranks x {}), more than any placement on the {} "
                              "eligible workers can give (largest has {}, {} in all); a gang goes on one "
                              "worker or is split evenly, in whole ranks, over several",
                              spec.id, spec.total_units(), UnitName(spec), spec.ranks, spec.units_per_rank(),
                              eligible.size(), largest, total));
  }
  return true;
}

Status Scheduler::Cancel(const TaskId& id, std::vector<Action>* actions) {
  auto it = task_index_.find(id);
  if (it == task_index_.end()) return NotFoundError(fmt::format("cancel: no task '{}'", id));
  const int index = it->second;
  TaskRecord& task = tasks_[index];
  if (task.state == TaskState::kPending) {
    Pool& pool = PoolFor(task.spec);
    Dequeue(pool, pool.queue.find({QueueKey{-int64_t{task.spec.priority}, task.queue_seq}, index}));
    pool.dirty = true;
  } else if (task.state == TaskState::kRunning) {
    actions->push_back(KillFor(index, -1, "cancelled"));
    FreeResources(index);
  } else {
    return Status::Ok();  // already over
  }
  task.state = TaskState::kCancelled;
  return Status::Ok();
}

// ---- Workers ------------------------------------------------------------------------------------

Status Scheduler::Join(const WorkerSpec& spec, std::vector<Action>* actions) {
  if (spec.id.empty() || spec.id.size() > 255) {
    return InvalidArgumentError(fmt::format("worker join: id '{}' must have 1..255 characters", spec.id));
  }
  if (spec.gpus < 0 || spec.gpus > kMaxGpusPerWorker || spec.cpu_slots < 0) {
    return InvalidArgumentError(
        fmt::format("worker {}: gpus = {}, cpu_slots = {}, expected gpus in 0..{} and "
                    "cpu_slots >= 0",
                    spec.id, spec.gpus, spec.cpu_slots, kMaxGpusPerWorker));
  }
  for (const auto& [key, value] : spec.labels) {
    if (key.empty()) return InvalidArgumentError(fmt::format("worker {}: empty label key", spec.id));
  }
  int index;
  if (auto it = worker_index_.find(spec.id); it != worker_index_.end()) {
    index = it->second;
    WorkerRecord& w = workers_[index];
    if (w.state != WorkerState::kLost && w.spec.incarnation == spec.incarnation)
      return Status::Ok();  // repeat
    if (!w.tasks.empty()) {
      // A new incarnation: the daemon restarted and its ranks died with it.
      TearDownWorker(index, false, fmt::format("worker {} restarted", spec.id), actions);
    }
    // A worker quarantined for failing attempts stays so across restarts and losses: rebooting
    // a bad node does not clear it, only a release after a health check does.
    if (w.consecutive_failures >= config_.quarantine_after_failures) {
      if (w.state != WorkerState::kQuarantined) {
        actions->push_back(QuarantineWorker{
            spec.id, fmt::format("rejoined while quarantined ({} infrastructure failures in a row)",
                                 w.consecutive_failures)});
      }
      w.state = WorkerState::kQuarantined;
    } else {
      w.state = WorkerState::kAlive;
    }
  } else {
    index = static_cast<int>(workers_.size());
    workers_.emplace_back();
    worker_index_.emplace(spec.id, index);
  }
  WorkerRecord& w = workers_[index];
  w.spec = spec;
  w.free_gpu_mask = AllGpus(spec.gpus);
  w.free_gpus = spec.gpus;
  w.free_cpus = spec.cpu_slots;
  MarkShapeChanged();
  return Status::Ok();
}

Status Scheduler::Lose(const WorkerId& id, std::vector<Action>* actions) {
  auto it = worker_index_.find(id);
  if (it == worker_index_.end()) return NotFoundError(fmt::format("worker lost: no worker '{}'", id));
  WorkerRecord& w = workers_[it->second];
  if (w.state == WorkerState::kLost) return Status::Ok();
  TearDownWorker(it->second, true, fmt::format("worker {} lost", id), actions);
  w.state = WorkerState::kLost;
  MarkShapeChanged();
  return Status::Ok();
}

Status Scheduler::Drain(const WorkerId& id) {
  auto it = worker_index_.find(id);
  if (it == worker_index_.end()) return NotFoundError(fmt::format("drain: no worker '{}'", id));
  WorkerRecord& w = workers_[it->second];
  if (w.state == WorkerState::kAlive) {
    w.state = WorkerState::kDraining;
    MarkShapeChanged();
  }
  return Status::Ok();
}

Status Scheduler::Release(const WorkerId& id) {
  auto it = worker_index_.find(id);
  if (it == worker_index_.end()) return NotFoundError(fmt::format("release: no worker '{}'", id));
  WorkerRecord& w = workers_[it->second];
  if (w.state == WorkerState::kQuarantined) {
    w.state = WorkerState::kAlive;
    w.consecutive_failures = 0;
    MarkShapeChanged();
  }
  return Status::Ok();
}

void Scheduler::TearDownWorker(int worker, bool skip_worker, const std::string& reason,
                               std::vector<Action>* actions) {
  // Copy: failing an attempt edits the list.
  const std::vector<int> victims = workers_[worker].tasks;
  for (int task : victims) {
    actions->push_back(KillFor(task, skip_worker ? worker : -1, reason));
    FailAttempt(task, FailureKind::kInfrastructure, reason, actions);
  }
}

// ---- Attempts -----------------------------------------------------------------------------------

void Scheduler::Finish(const TaskFinished& report, std::vector<Action>* actions) {
  auto it = task_index_.find(report.task);
  if (it == task_index_.end()) return;
  const int index = it->second;
  TaskRecord& task = tasks_[index];
  // Fencing: only the current attempt of a running task may end it.
  if (task.state != TaskState::kRunning || task.attempt != report.attempt) return;

  if (report.outcome == Outcome::kSucceeded) {
    for (const RankSlot& r : task.ranks) workers_[r.worker].consecutive_failures = 0;
    FreeResources(index);
    task.state = TaskState::kSucceeded;
    return;
  }
  FailureKind kind = FailureKind::kUserError;
  if (report.outcome == Outcome::kPreempted) kind = FailureKind::kPreempted;
  if (report.outcome == Outcome::kInfrastructure) kind = FailureKind::kInfrastructure;
  if (kind == FailureKind::kInfrastructure) {
    // Blame the named worker, or the only worker of a single-worker attempt; never guess.
    int blamed = -1;
    for (const RankSlot& r : task.ranks) {
      if (report.failed_worker.empty() ? (blamed == -1 || blamed == r.worker)
                                       : workers_[r.worker].spec.id == report.failed_worker) {
        blamed = r.worker;
        if (!report.failed_worker.empty()) break;
      } else if (report.failed_worker.empty()) {
        blamed = -1;
        break;
      }
    }
    if (blamed >= 0) {
      WorkerRecord& w = workers_[blamed];
      ++w.consecutive_failures;
      if (w.consecutive_failures >= config_.quarantine_after_failures && w.state == WorkerState::kAlive) {
        w.state = WorkerState::kQuarantined;
        actions->push_back(QuarantineWorker{
            w.spec.id, fmt::format("{} infrastructure failures in a row, the last in attempt {} of task {}",
                                   w.consecutive_failures, report.attempt, report.task)});
        MarkShapeChanged();
      }
    }
  }
  const std::string reason = fmt::format("attempt {} ended: {}", report.attempt, FailureKindName(kind));
  // One failed rank ends the gang: the others would only wait in a collective until they time out.
  if (task.ranks.size() > 1) actions->push_back(KillFor(index, -1, reason));
  FailAttempt(index, kind, reason, actions);
}

void Scheduler::FailAttempt(int index, FailureKind kind, const std::string& reason,
                            std::vector<Action>* actions) {
  TaskRecord& task = tasks_[index];
  FreeResources(index);
  int& count = FailureCount(task, kind);
  ++count;
  const int budget = task.spec.retries.For(kind);
  if (count > budget) {
    task.state = TaskState::kFailed;
    actions->push_back(FailTask{task.spec.id, task.attempt, kind,
                                fmt::format("{}; {} failures: {}, retry budget {} spent", reason,
                                            FailureKindName(kind), count, budget)});
    return;
  }
  task.state = TaskState::kPending;
  Enqueue(index);
  PoolFor(task.spec).dirty = true;
  actions->push_back(RequeueTask{task.spec.id, task.attempt, kind, budget - count});
}

void Scheduler::FreeResources(int index) {
  TaskRecord& task = tasks_[index];
  for (const RankSlot& r : task.ranks) {
    WorkerRecord& w = workers_[r.worker];
    w.free_gpu_mask |= r.gpu_mask;
    w.free_gpus += __builtin_popcountll(r.gpu_mask);
    w.free_cpus += r.cpu_slots;
    auto pos = std::find(w.tasks.begin(), w.tasks.end(), index);
    if (pos != w.tasks.end()) {
      *pos = w.tasks.back();
      w.tasks.pop_back();
    }
  }
  task.ranks.clear();
  PoolFor(task.spec).dirty = true;
}

KillAttempt Scheduler::KillFor(int index, int skip_worker, const std::string& reason) const {
  const TaskRecord& task = tasks_[index];
  KillAttempt kill{task.spec.id, task.attempt, {}, reason};
  int last = -1;
  for (const RankSlot& r : task.ranks) {
    // Ranks of one worker are adjacent, so comparing with the previous one lists each once.
    if (r.worker != last && r.worker != skip_worker) kill.workers.push_back(workers_[r.worker].spec.id);
    last = r.worker;
  }
  return kill;
}

void Scheduler::Enqueue(int index) {
  const TaskRecord& task = tasks_[index];
  Pool& pool = PoolFor(task.spec);
  const std::pair<QueueKey, int> entry{QueueKey{-int64_t{task.spec.priority}, task.queue_seq}, index};
  pool.queue.insert(entry);
  pool.ClassQueue(task_class_[index]).insert(entry);
}

std::set<std::pair<Scheduler::QueueKey, int>>::iterator Scheduler::Dequeue(
    Pool& pool, std::set<std::pair<QueueKey, int>>::iterator it) {
  pool.ClassQueue(task_class_[it->second]).erase(*it);
  return pool.queue.erase(it);
}

int Scheduler::ClassOf(const TaskSpec& spec, const std::string& selector) {
  return class_ids_
      .try_emplace({spec.ranks, spec.units_per_rank(), selector}, static_cast<int>(class_ids_.size()))
      .first->second;
}

Scheduler::Pool& Scheduler::PoolFor(const TaskSpec& spec) {
  return spec.uses_gpus() ? *gpu_pool_ : *cpu_pool_;
}

void Scheduler::MarkShapeChanged() {
  for (Pool* pool : {gpu_pool_.get(), cpu_pool_.get()}) {
    pool->dirty = true;
    pool->shape_dirty = true;
  }
}

bool Scheduler::MatchesLabels(const WorkerRecord& worker, const Labels& required) const {
  for (const auto& [key, value] : required) {
    auto it = worker.spec.labels.find(key);
    if (it == worker.spec.labels.end() || it->second != value) return false;
  }
  return true;
}

// ---- Views --------------------------------------------------------------------------------------

const TaskRecord* Scheduler::FindTask(const TaskId& id) const {
  auto it = task_index_.find(id);
  return it == task_index_.end() ? nullptr : &tasks_[it->second];
}

const WorkerRecord* Scheduler::FindWorker(const WorkerId& id) const {
  auto it = worker_index_.find(id);
  return it == worker_index_.end() ? nullptr : &workers_[it->second];
}

const TaskRecord* Scheduler::QueueHead(bool gpus) const {
  const Pool& pool = gpus ? *gpu_pool_ : *cpu_pool_;
  return pool.queue.empty() ? nullptr : &tasks_[pool.queue.begin()->second];
}

size_t Scheduler::pending_count() const { return gpu_pool_->queue.size() + cpu_pool_->queue.size(); }

std::vector<TaskId> Scheduler::PendingOrder() const {
  std::vector<TaskId> out;
  for (const Pool* pool : {gpu_pool_.get(), cpu_pool_.get()}) {
    for (const auto& [key, index] : pool->queue) out.push_back(tasks_[index].spec.id);
  }
  return out;
}

void Scheduler::ForEachReservation(const std::function<void(const TaskId&, const WorkerId&, int)>& fn) const {
  for (const Pool* pool : {gpu_pool_.get(), cpu_pool_.get()}) {
    for (const Pool::Reservation& r : pool->reservations) {
      fn(tasks_[r.task].spec.id, workers_[r.worker].spec.id, r.units);
    }
  }
}

}  // namespace mdetr::scheduler
