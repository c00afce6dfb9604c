#include "coordinator/scheduler/sim/invariant_checker.h"

#include <algorithm>

#include <fmt/format.h>

namespace mdetr::scheduler::sim {

void InvariantChecker::Fail(std::string message) {
  // Keep the first few: one bug usually repeats at every later step.
  if (violations_.size() < 20) violations_.push_back(std::move(message));
}

size_t InvariantChecker::running() const {
  size_t n = 0;
  for (const auto& [id, task] : tasks_) n += task.state == Task::kRunning;
  return n;
}

void InvariantChecker::SetPending(Task& task, bool pending) {
  auto& group = pending_by_shape_[{task.spec.ranks, task.spec.units_per_rank()}];
  if (pending) {
    group.insert({task.key, task.spec.id});
  } else {
    group.erase({task.key, task.spec.id});
  }
}

InvariantChecker::Worker& InvariantChecker::WorkerNamed(const std::string& id) {
  auto [it, inserted] = worker_index_.try_emplace(id, static_cast<int>(workers_.size()));
  if (inserted) workers_.emplace_back();
  return workers_[static_cast<size_t>(it->second)];
}

void InvariantChecker::FreeAttempt(Task& task) {
  for (const Holding& h : task.holdings) {
    Worker& w = workers_[static_cast<size_t>(h.worker)];
    for (int g : h.gpus) w.gpu_owner[static_cast<size_t>(g)].clear();
    w.free_gpus += static_cast<int>(h.gpus.size());
    w.cpus_used -= h.cpus;
  }
  task.holdings.clear();
}

void InvariantChecker::Check(const Event& event, const std::vector<Action>& actions) {
  // 1. What the event itself settles.
  std::set<std::string> must_requeue_or_fail;
  if (const auto* f = std::get_if<TaskFinished>(&event)) {
    auto it = tasks_.find(f->task);
    const bool live =
        it != tasks_.end() && it->second.state == Task::kRunning && it->second.attempt == f->attempt;
    if (!live) {
      if (!actions.empty())
        Fail(fmt::format("stale report for {}#{} produced {}", f->task, f->attempt, ToString(actions[0])));
      return;
    }
    FreeAttempt(it->second);
    it->second.state = Task::kDone;
    if (f->outcome != Outcome::kSucceeded) must_requeue_or_fail.insert(f->task);
  }
  if (const auto* s = std::get_if<SubmitTask>(&event)) {
    const bool rejected = std::any_of(actions.begin(), actions.end(), [&](const Action& a) {
      const auto* r = std::get_if<RejectTask>(&a);
      return r != nullptr && r->task == s->spec.id;
    });
    if (!tasks_.count(s->spec.id) && !rejected) {
      Task& t = tasks_[s->spec.id];
      t.spec = s->spec;
      t.key = {-int64_t{s->spec.priority}, next_order_++};
      SetPending(t, true);
    }
  }
  if (const auto* c = std::get_if<CancelTask>(&event)) {
    auto it = tasks_.find(c->task);
    if (it != tasks_.end() && it->second.state == Task::kPending) {
      SetPending(it->second, false);
      it->second.state = Task::kDone;
    }
    // A running one must be killed below.
    if (it != tasks_.end() && it->second.state == Task::kRunning) {
      const bool killed = std::any_of(actions.begin(), actions.end(), [&](const Action& a) {
        const auto* k = std::get_if<KillAttempt>(&a);
        return k != nullptr && k->task == c->task;
      });
      if (!killed) Fail(fmt::format("cancel of running {} did not kill it", c->task));
    }
  }

  // 2. Kills free the whole attempt.
  for (const Action& a : actions) {
    const auto* k = std::get_if<KillAttempt>(&a);
    if (k == nullptr) continue;
    // A failed rank ends its gang: killing the other ranks of the reported attempt is expected
    // (settled in step 1).
    if (const auto* f = std::get_if<TaskFinished>(&event);
        f != nullptr && f->task == k->task && f->attempt == k->attempt && f->outcome != Outcome::kSucceeded) {
      continue;
    }
    auto it = tasks_.find(k->task);
    if (it == tasks_.end() || it->second.state != Task::kRunning || it->second.attempt != k->attempt) {
      Fail(fmt::format("{} names no running attempt", ToString(a)));
      continue;
    }
    FreeAttempt(it->second);
    it->second.state = Task::kDone;
    if (!std::holds_alternative<CancelTask>(event)) must_requeue_or_fail.insert(k->task);
  }

  // 3. Worker state.
  if (const auto* j = std::get_if<WorkerJoined>(&event)) {
    Worker& w = WorkerNamed(j->spec.id);
    const bool fresh =
        w.spec.id.empty() || w.state == WorkerState::kLost || w.spec.incarnation != j->spec.incarnation;
    if (fresh) {
      if (w.state != WorkerState::kQuarantined) w.state = WorkerState::kAlive;
      w.spec = j->spec;
      w.gpu_owner.assign(static_cast<size_t>(j->spec.gpus), "");
      w.free_gpus = j->spec.gpus;
      w.cpus_used = 0;
    }
  }
  if (const auto* l = std::get_if<WorkerLost>(&event)) WorkerNamed(l->worker).state = WorkerState::kLost;
  if (const auto* d = std::get_if<WorkerDrain>(&event)) {
    Worker& w = WorkerNamed(d->worker);
    if (w.state == WorkerState::kAlive) w.state = WorkerState::kDraining;
  }
  if (const auto* r = std::get_if<WorkerRelease>(&event)) {
    Worker& w = WorkerNamed(r->worker);
    if (w.state == WorkerState::kQuarantined) w.state = WorkerState::kAlive;
  }

  // 4. The rest, in order.
  std::vector<const Task*> placed;
  for (const Action& a : actions) {
    if (const auto* q = std::get_if<QuarantineWorker>(&a)) {
      WorkerNamed(q->worker).state = WorkerState::kQuarantined;
    } else if (const auto* r = std::get_if<RequeueTask>(&a)) {
      if (!must_requeue_or_fail.erase(r->task))
        Fail(fmt::format("{} for a task that did not just fail", ToString(a)));
      Task& t = tasks_[r->task];
      t.state = Task::kPending;
      SetPending(t, true);
    } else if (const auto* f = std::get_if<FailTask>(&a)) {
      if (!must_requeue_or_fail.erase(f->task))
        Fail(fmt::format("{} for a task that did not just fail", ToString(a)));
    } else if (const auto* p = std::get_if<PlaceTask>(&a)) {
      CheckPlace(*p, &placed);
    }
  }
  for (const std::string& id : must_requeue_or_fail) {
    // A failed attempt must be retried or end the task, unless the task was cancelled.
    if (!std::holds_alternative<CancelTask>(event))
      Fail(fmt::format("{} failed but was neither requeued nor failed", id));
  }
  if (std::holds_alternative<WorkerLost>(event)) {
    const std::string& lost = std::get<WorkerLost>(event).worker;
    for (const auto& [id, task] : tasks_) {
      if (task.state != Task::kRunning) continue;
      for (const Holding& h : task.holdings) {
        if (workers_[static_cast<size_t>(h.worker)].spec.id == lost)
          Fail(fmt::format("{} still runs on lost worker {}", id, lost));
      }
    }
  }
  CheckPriorities(placed);
}

void InvariantChecker::CheckPlace(const PlaceTask& place, std::vector<const Task*>* placed) {
  auto it = tasks_.find(place.task);
  if (it == tasks_.end()) return Fail(fmt::format("placed unknown task {}", place.task));
  Task& t = it->second;
  if (t.state != Task::kPending) return Fail(fmt::format("placed {} which is not pending", place.task));
  if (place.attempt <= last_attempt_)
    Fail(fmt::format("attempt {} of {} does not grow", place.attempt, place.task));
  last_attempt_ = std::max(last_attempt_, place.attempt);
  if (static_cast<int>(place.ranks.size()) != t.spec.ranks) {
    return Fail(
        fmt::format("{} has {} ranks, the gang has {}", place.task, place.ranks.size(), t.spec.ranks));
  }
  std::map<std::string, int> per_worker;
  for (const RankPlacement& r : place.ranks) {
    auto index = worker_index_.find(r.worker);
    auto w = workers_.begin() + (index == worker_index_.end() ? 0 : index->second);
    if (index == worker_index_.end() || w->state != WorkerState::kAlive) {
      Fail(fmt::format("{} placed a rank on worker {} which is not alive", place.task, r.worker));
      continue;
    }
    for (const auto& [key, value] : t.spec.required_labels) {
      auto l = w->spec.labels.find(key);
      if (l == w->spec.labels.end() || l->second != value) {
        Fail(fmt::format("{} placed on {} without label {}={}", place.task, r.worker, key, value));
      }
    }
    Holding h{index->second, r.gpus, r.cpu_slots};
    if (t.spec.uses_gpus()) {
      if (static_cast<int>(r.gpus.size()) != t.spec.gpus_per_rank) {
        Fail(
            fmt::format("{}: a rank got {} GPUs, needs {}", place.task, r.gpus.size(), t.spec.gpus_per_rank));
      }
      for (int g : r.gpus) {
        if (g < 0 || g >= w->spec.gpus) {
          Fail(fmt::format("{}: GPU {} does not exist on {}", place.task, g, r.worker));
          continue;
        }
        std::string& owner = w->gpu_owner[static_cast<size_t>(g)];
        if (!owner.empty())
          Fail(fmt::format("GPU {} of {} given to {} while {} holds it", g, r.worker, place.task, owner));
        if (owner.empty()) --w->free_gpus;
        owner = place.task;
      }
      per_worker[r.worker] += static_cast<int>(r.gpus.size());
    } else {
      if (r.cpu_slots != t.spec.cpus_per_rank)
        Fail(fmt::format("{}: a rank got {} CPU slots", place.task, r.cpu_slots));
      w->cpus_used += r.cpu_slots;
      if (w->cpus_used > w->spec.cpu_slots) Fail(fmt::format("CPU slots of {} overbooked", r.worker));
      per_worker[r.worker] += r.cpu_slots;
    }
    t.holdings.push_back(std::move(h));
  }
  for (const auto& [worker, units] : per_worker) {
    if (units != per_worker.begin()->second) {
      Fail(fmt::format("{} is split unevenly ({} on {}, {} on {})", place.task, per_worker.begin()->second,
                       per_worker.begin()->first, units, worker));
      break;
    }
  }
  SetPending(t, false);
  t.state = Task::kRunning;
  t.attempt = place.attempt;
  placed->push_back(&t);
}

void InvariantChecker::CheckPriorities(const std::vector<const Task*>& placed) {
  if (placed.empty()) return;
  // Cheap bound first: a task bigger than everything free plus what was placed cannot fit.
  int64_t free_gpus = 0;
  int64_t free_cpus = 0;
  for (const Worker& w : workers_) {
    if (w.state != WorkerState::kAlive) continue;
    free_gpus += w.free_gpus;
    free_cpus += w.spec.cpu_slots - w.cpus_used;
  }
  bool held_known = false;
  for (const Task* low : placed) {
    const int64_t open = (low->spec.uses_gpus() ? free_gpus : free_cpus) + low->spec.total_units();
    for (const auto& [shape, group] : pending_by_shape_) {
      // The first waiting task of each shape that is ahead of `low` has the most capacity open
      // to it; if it cannot fit, none behind it of that shape can.
      if (group.empty() || !(group.begin()->first < low->key)) continue;
      const Task& high = tasks_.at(group.begin()->second);
      if (high.spec.uses_gpus() != low->spec.uses_gpus() || high.spec.total_units() > open) continue;
      if (!held_known) {
        held_.clear();
        scheduler_->ForEachReservation([&](const TaskId& task, const WorkerId& worker, int units) {
          held_.push_back({tasks_.at(task).key, worker_index_.at(worker), units});
        });
        held_known = true;
      }
      if (FitsAhead(high, *low)) {
        Fail(
            fmt::format("{} (priority {}) was placed on capacity that {} (priority {}, ahead in the queue) "
                        "could have started on",
                        low->spec.id, low->spec.priority, high.spec.id, high.spec.priority));
      }
    }
  }
}

// Whether `waiting` would fit in what is free now plus what `placed` took, leaving alone what the
// scheduler holds back for tasks ahead of `waiting`.
bool InvariantChecker::FitsAhead(const Task& waiting, const Task& placed) {
  const bool gpus = waiting.spec.uses_gpus();
  std::vector<int> units(workers_.size(), 0);
  std::vector<bool> usable(workers_.size(), false);
  for (size_t i = 0; i < workers_.size(); ++i) {
    const Worker& w = workers_[i];
    if (w.state != WorkerState::kAlive) continue;
    bool labels_ok = true;
    for (const auto& [key, value] : waiting.spec.required_labels) {
      auto l = w.spec.labels.find(key);
      labels_ok = labels_ok && l != w.spec.labels.end() && l->second == value;
    }
    usable[i] = labels_ok;
    if (labels_ok) units[i] = gpus ? w.free_gpus : w.spec.cpu_slots - w.cpus_used;
  }
  for (const Holding& h : placed.holdings) {
    const auto i = static_cast<size_t>(h.worker);
    if (usable[i]) units[i] += gpus ? static_cast<int>(h.gpus.size()) : h.cpus;
  }
  std::vector<int> held(workers_.size(), 0);
  for (const Held& r : held_) {
    if (r.key < waiting.key) held[static_cast<size_t>(r.worker)] += r.units;
  }
  for (size_t i = 0; i < units.size(); ++i) units[i] = std::max(0, units[i] - held[i]);
  // Independent of placement.cc: try every even split with whole ranks per worker.
  const int per_rank = waiting.spec.units_per_rank();
  for (int ranks_per_node = 1; ranks_per_node <= waiting.spec.ranks; ++ranks_per_node) {
    if (waiting.spec.ranks % ranks_per_node != 0) continue;
    const int share = ranks_per_node * per_rank;
    const auto nodes = std::count_if(units.begin(), units.end(), [&](int u) { return u >= share; });
    if (nodes >= waiting.spec.ranks / ranks_per_node) return true;
  }
  return false;
}

void InvariantChecker::CheckBooks() {
  for (const Worker& w : workers_) {
    const std::string& id = w.spec.id;
    const WorkerRecord* record = scheduler_->FindWorker(id);
    if (record == nullptr || w.state == WorkerState::kLost) continue;
    const int free = static_cast<int>(std::count(w.gpu_owner.begin(), w.gpu_owner.end(), ""));
    if (free != w.free_gpus) Fail(fmt::format("ledger of {} lost count of its free GPUs", id));
    if (record->free_gpus != free || record->free_cpus != w.spec.cpu_slots - w.cpus_used) {
      Fail(fmt::format("worker {}: scheduler counts {} free GPUs and {} free CPU slots, the ledger {} and {}",
                       id, record->free_gpus, record->free_cpus, free, w.spec.cpu_slots - w.cpus_used));
    }
  }
}

}  // namespace mdetr::scheduler::sim
