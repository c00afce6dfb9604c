// The worker side of the coordinator: registration (and re-adoption of running attempts after a
// restart), lost workers, and the attempt reports workers stream (progress, checkpoints, starts,
// ends), including holding back a gang's failure until a lost peer would have been noticed.
#include <set>

#include "common/clock.h"
#include "common/logging.h"
#include "common/store/keys.h"
#include "coordinator/daemon/coordinator_service.h"
#include "coordinator/daemon/records.h"

namespace mdetr::coordinator {
namespace sch = scheduler;
using nlohmann::json;

namespace {

sch::Outcome OutcomeOf(wire::ExitClass c) {
  switch (c) {
    case wire::ExitClass::kSuccess: return sch::Outcome::kSucceeded;
    case wire::ExitClass::kPreempted: return sch::Outcome::kPreempted;
    case wire::ExitClass::kAppError: return sch::Outcome::kUserError;
    default: return sch::Outcome::kInfrastructure;
  }
}

}  // namespace

wire::Body CoordinatorService::OnRegister(const transport::Peer& peer, const wire::RegisterWorker& req) {
  store::Batch batch;
  json w = workers_.count(req.worker_id) ? workers_.at(req.worker_id) : json::object();
  // The attempts the scheduler believes run there; if the worker still runs them all (the
  // coordinator restarted, or the connection blipped) it keeps its incarnation and its ranks.
  std::set<std::string> expected, reported;
  for (const auto& [task_id, t] : tasks_) {
    if (t.value("state", "") != "running") continue;
    for (const auto& wk : t.at("workers")) {
      if (wk.get<std::string>() == req.worker_id) expected.insert(AttemptIdOf(task_id, t.value("attempt", uint64_t{0})));
    }
  }
  std::vector<std::string> fenced;
  for (const auto& r : req.running) {
    reported.insert(r.attempt_id);
    if (!expected.count(r.attempt_id)) fenced.push_back(r.attempt_id);
  }
  bool same = std::includes(reported.begin(), reported.end(), expected.begin(), expected.end());
  uint64_t incarnation = w.value("incarnation", uint64_t{0});
  if (!same) incarnation += 1;  // the ranks it had are gone: the scheduler tears them down
  w = json{{"id", req.worker_id}, {"hostname", req.hostname}, {"address", req.hostname},
           {"gpus", req.gpus.size()}, {"cpu_slots", req.cpu_slots}, {"incarnation", incarnation},
           {"connected", true}, {"last_seen", NowMs()}, {"quarantined", w.value("quarantined", false)}};
  json labels = json::object();
  sch::WorkerSpec spec;
  spec.id = req.worker_id;
  spec.gpus = static_cast<int>(req.gpus.size());
  spec.cpu_slots = req.cpu_slots;
  for (const auto& l : req.labels) {
    spec.labels[l.key] = l.value;
    labels[l.key] = l.value;
  }
  w["labels"] = labels;
  spec.incarnation = incarnation;
  workers_[req.worker_id] = w;
  batch.Put(store::Family::kWorkers, req.worker_id, w.dump());
  route_of_worker_[req.worker_id] = peer.routing_id;
  worker_of_route_[peer.routing_id] = req.worker_id;
  AddEvent(&batch, "", "", "", "worker",
           req.worker_id + " joined (" + std::to_string(spec.gpus) + " GPUs, " + std::to_string(spec.cpu_slots) +
               " CPU slots" + (same && !expected.empty() ? ", re-adopted its running attempts" : "") + ")");
  if (auto s = Apply({sch::WorkerJoined{spec}}, std::move(batch)); !s.ok()) return ErrorBody(s);
  wire::RegisterReply reply;
  reply.worker_id = req.worker_id;
  reply.heartbeat_interval_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.server.heartbeat.interval).count();
  reply.heartbeat_liveness = options_.server.heartbeat.liveness;
  reply.kill_attempts = fenced;
  return reply;
}

void CoordinatorService::ReleaseHeldFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  const MonoTime now = SystemClock::Instance().Now();
  std::vector<sch::Event> events;
  for (auto it = held_failures_.begin(); it != held_failures_.end();) {
    if (it->release_at > now) {
      ++it;
      continue;
    }
    // The scheduler ignores the report if the attempt already ended (a lost worker tore it down).
    events.push_back(sch::TaskFinished{it->task_id, it->attempt, it->outcome, ""});
    it = held_failures_.erase(it);
  }
  if (events.empty()) return;
  if (auto s = Apply(std::move(events), store::Batch{}); !s.ok()) {
    MDETR_LOG_ERROR("ending held gang attempts failed: {}", s.ToString());
  }
}

void CoordinatorService::OnPeerLost(const transport::Peer& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = worker_of_route_.find(peer.routing_id);
  if (it == worker_of_route_.end()) return;  // a CLI client going quiet is not an event
  const std::string worker = it->second;
  worker_of_route_.erase(it);
  if (route_of_worker_[worker] != peer.routing_id) return;  // it reconnected already
  route_of_worker_.erase(worker);
  store::Batch batch;
  auto w = workers_[worker];
  w["connected"] = false;
  workers_[worker] = w;
  batch.Put(store::Family::kWorkers, worker, w.dump());
  AddEvent(&batch, "", "", "", "worker", worker + " lost (no heartbeat); its tasks are torn down and requeued");
  if (auto s = Apply({sch::WorkerLost{worker}}, std::move(batch)); !s.ok()) {
    MDETR_LOG_ERROR("recording the loss of {} failed: {}", worker, s.ToString());
  }
}

void CoordinatorService::OnAttemptStatus(const wire::AttemptStatus& st) {
  // "<task>-a<attempt>"
  const auto pos = st.attempt_id.rfind("-a");
  if (pos == std::string::npos) return;
  const std::string task_id = st.attempt_id.substr(0, pos);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  json task = it->second;
  // Fencing: only the current attempt may change the task.
  if (task.value("attempt", uint64_t{0}) != st.fencing_token || task.value("state", "") != "running") return;
  store::Batch batch;
  std::vector<sch::Event> events;
  if (const auto* p = std::get_if<wire::AttemptProgress>(&st.event)) {
    task["last_step"] = p->step;
    for (const auto& m : p->metrics) {
      task["metrics"][m.name] = m.value;
      batch.Put(store::Family::kMetrics, store::JoinKey({task_id, store::KeyWithNumber("", static_cast<uint64_t>(p->step)), m.name}),
                json{{"step", p->step}, {"at", p->at_millis}, {"value", m.value}}.dump());
    }
    tasks_[task_id] = task;
    batch.Put(store::Family::kTasks, task_id, task.dump());
    // Metrics may be lost in a crash, state transitions may not. Behind a pending group commit they
    // join it, so that an older copy of this task in that commit cannot land after this one.
    if (in_burst_) pending_.batch.Append(std::move(batch));
    else (void)store_->CommitUnsynced(batch);
    return;
  }
  if (const auto* c = std::get_if<wire::CheckpointRecord>(&st.event)) {
    task["last_checkpoint"] = c->path;
    task["last_step"] = c->step;
    PutTask(&batch, task);
    batch.Put(store::Family::kCheckpoints, store::JoinKey({task_id, store::KeyWithNumber("", static_cast<uint64_t>(c->step))}),
              json{{"path", c->path}, {"step", c->step}, {"epoch", c->epoch}, {"bytes", c->size_bytes},
                   {"digest", c->sha256}, {"at", c->at_millis}, {"attempt", st.attempt_id}}
                  .dump());
    (void)Apply({}, std::move(batch));
    return;
  }
  if (const auto* s = std::get_if<wire::AttemptStarted>(&st.event)) {
    AddEvent(&batch, task["job"], task_id, st.attempt_id, "started", "pid " + std::to_string(s->pid));
    (void)Apply({}, std::move(batch));
    return;
  }
  if (const auto* f = std::get_if<wire::AttemptFinished>(&st.event)) {
    if (f->exit_class == wire::ExitClass::kSuccess) {
      task["ranks_ok"] = task.value("ranks_ok", 0) + 1;
      if (task["ranks_ok"].get<int>() < task.value("ranks", 1)) {
        PutTask(&batch, task);
        (void)Apply({}, std::move(batch));
        return;
      }
      task["state"] = "succeeded";
      PutTask(&batch, task);
      AddEvent(&batch, task["job"], task_id, st.attempt_id, "succeeded", "all ranks finished");
      events.push_back(sch::TaskFinished{task_id, st.fencing_token, sch::Outcome::kSucceeded, ""});
      UpdateJobState(&batch, task["job"]);
      ReleaseDependents(&batch, task["job"], &events);
      if (task.contains("sweep")) ReleaseSweepTrials(&batch, task["sweep"], &events);
    } else if (f->exit_class == wire::ExitClass::kCancelled) {
      return;  // we asked for it; the scheduler already knows
    } else {
      const sch::Outcome outcome = OutcomeOf(f->exit_class);
      std::string message = "exit code " + std::to_string(f->exit_code) + ": " + f->message;
      // A rank that lost a peer fails first, before the peer's worker is known to be gone; retrying
      // at once would place the gang on that dead worker again. Wait until its loss would have
      // been noticed: then the loss ends the attempt (blaming the right worker) and this report
      // is stale, or every worker is alive and the report ends it.
      std::set<std::string> gang;
      for (const auto& w : task.value("workers", json::array())) gang.insert(w.get<std::string>());
      const auto& hb = options_.server.heartbeat;
      if (outcome == sch::Outcome::kInfrastructure && gang.size() > 1 && hb.enabled()) {
        const Duration wait = hb.expiry() + hb.interval;
        held_failures_.push_back({task_id, st.fencing_token, outcome, SystemClock::Instance().Now() + wait});
        message += fmt::format("; retried after {} ms unless a worker of the gang is lost first",
                               std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
      } else {
        events.push_back(sch::TaskFinished{task_id, st.fencing_token, outcome, ""});
      }
      AddEvent(&batch, task["job"], task_id, st.attempt_id, "attempt-failed", message);
    }
    if (auto s = Apply(std::move(events), std::move(batch)); !s.ok()) {
      MDETR_LOG_ERROR("recording the end of {} failed: {}", st.attempt_id, s.ToString());
    }
  }
}

}  // namespace mdetr::coordinator
