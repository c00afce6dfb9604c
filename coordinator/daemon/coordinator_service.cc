#include "coordinator/daemon/coordinator_service.h"
#include "coordinator/daemon/records.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/clock.h"
#include "common/config/experiment.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/store/keys.h"
#include "coordinator/daemon/snapshot_json.h"
#include "coordinator/daemon/sweep_plan.h"

namespace mdetr::coordinator {
namespace fs = std::filesystem;
namespace sch = scheduler;
using nlohmann::json;

namespace {

constexpr const char* kSnapshotKey = "~scheduler";
constexpr const char* kRequestPrefix = "~request/";





}  // namespace

CoordinatorService::CoordinatorService(CoordinatorOptions options) : options_(std::move(options)) {}

CoordinatorService::~CoordinatorService() {
  if (server_) server_->Stop();
}

Result<std::unique_ptr<CoordinatorService>> CoordinatorService::Start(CoordinatorOptions options) {
  std::unique_ptr<CoordinatorService> svc(new CoordinatorService(std::move(options)));
  std::error_code ec;
  fs::create_directories(svc->options_.data_dir, ec);
  fs::create_directories(svc->options_.shared_dir, ec);
  MDETR_ASSIGN_OR_RETURN(svc->store_, store::Store::Open((fs::path(svc->options_.data_dir) / "state").string()));
  MDETR_RETURN_IF_ERROR(svc->Recover());
  auto* raw = svc.get();
  svc->options_.server.on_beat = [raw] { raw->ReleaseHeldFailures(); };
  svc->options_.server.on_burst_end = [raw] { raw->EndBurst(); };
  MDETR_ASSIGN_OR_RETURN(
      svc->server_,
      transport::Server::Start(
          svc->options_.server,
          [raw](const transport::Peer& peer, const wire::Envelope& msg) { return raw->Handle(peer, msg); },
          [raw](const transport::Peer& peer) { raw->OnPeerLost(peer); }));
  MDETR_LOG_INFO("coordinator serving on {} (state in {})", svc->server_->endpoint(), svc->options_.data_dir);
  return svc;
}

Status CoordinatorService::Recover() {
  // Jobs, tasks and workers as last committed, then the scheduler exactly as it was.
  auto load = [&](store::Family f, std::map<std::string, json>* into) -> Status {
    return store_->ScanPrefix(f, "", [&](std::string_view key, std::string_view value) {
      if (!key.empty() && key[0] == '~') return true;
      try {
        (*into)[std::string(key)] = json::parse(value);
      } catch (const std::exception& e) {
        MDETR_LOG_ERROR("skipping unreadable {} record {}: {}", store::FamilyName(f), key, e.what());
      }
      return true;
    });
  };
  MDETR_RETURN_IF_ERROR(load(store::Family::kJobs, &jobs_));
  MDETR_RETURN_IF_ERROR(load(store::Family::kTasks, &tasks_));
  MDETR_RETURN_IF_ERROR(load(store::Family::kWorkers, &workers_));
  auto events = store_->ListPrefix(store::Family::kEvents, "");
  if (events.ok() && !events->empty()) {
    auto n = store::NumberAtEnd(events->back().first);
    if (n.ok()) next_event_seq_ = *n + 1;
  }
  auto snap = store_->Get(store::Family::kJobs, kSnapshotKey);
  if (snap.ok()) {
    json j;
    try {
      j = json::parse(*snap);
    } catch (const std::exception& e) {
      return DataLossError(std::string("scheduler snapshot: ") + e.what());
    }
    MDETR_ASSIGN_OR_RETURN(auto snapshot, SnapshotFromJson(j));
    MDETR_ASSIGN_OR_RETURN(scheduler_, sch::Scheduler::Restore(options_.scheduler, std::move(snapshot)));
    // Workers must re-register: until they do, the scheduler keeps their ranks; a worker that
    // never comes back is declared lost by the heartbeat timeout of its connection... which a
    // restarted coordinator has not seen. Mark every worker as not yet connected.
    for (auto& [id, w] : workers_) w["connected"] = false;
    MDETR_LOG_INFO("recovered {} jobs, {} tasks, {} workers from {}", jobs_.size(), tasks_.size(), workers_.size(),
                   options_.data_dir);
  } else {
    scheduler_ = std::make_unique<sch::Scheduler>(options_.scheduler);
  }
  return Status::Ok();
}

std::string CoordinatorService::TaskDir(const std::string& task_id) const {
  const auto& t = tasks_.at(task_id);
  return (fs::path(options_.shared_dir) / "tasks" / t.value("dir_name", task_id)).string();
}

void CoordinatorService::AddEvent(store::Batch* batch, const std::string& job, const std::string& task,
                                  const std::string& attempt, const std::string& kind, const std::string& message) {
  const uint64_t seq = next_event_seq_++;
  json e{{"seq", seq}, {"at", NowMs()}, {"job", job}, {"task", task}, {"attempt", attempt}, {"kind", kind},
         {"message", message}};
  batch->Put(store::Family::kEvents, store::KeyWithNumber("", seq), e.dump());
  MDETR_LOG_INFO("{} {} {}: {}", kind, job, task, message);
}

void CoordinatorService::PutJob(store::Batch* batch, const json& job) {
  jobs_[job.at("id").get<std::string>()] = job;
  batch->Put(store::Family::kJobs, job.at("id").get<std::string>(), job.dump());
}

void CoordinatorService::PutTask(store::Batch* batch, const json& task) {
  tasks_[task.at("id").get<std::string>()] = task;
  batch->Put(store::Family::kTasks, task.at("id").get<std::string>(), task.dump());
}

sch::TaskSpec CoordinatorService::SpecForTask(const json& t) const {
  sch::TaskSpec spec;
  spec.id = t.at("id").get<std::string>();
  spec.priority = t.value("priority", 0);
  spec.ranks = t.value("ranks", 1);
  spec.gpus_per_rank = t.value("gpus_per_rank", 0);
  spec.cpus_per_rank = t.value("cpus_per_rank", 1);
  return spec;
}

Result<std::string> CoordinatorService::CreateJob(const std::string& job_id, const std::string& name,
                                                  const std::string& config_yaml, std::vector<std::string> overrides,
                                                  int priority, store::Batch* batch,
                                                  std::vector<sch::Event>* events) {
  // "@after=<job>" makes this job wait for another to succeed, then start from its checkpoints.
  std::string after;
  for (auto it = overrides.begin(); it != overrides.end();) {
    if (it->rfind("@after=", 0) == 0) {
      after = it->substr(7);
      it = overrides.erase(it);
    } else {
      ++it;
    }
  }
  if (!after.empty() && !jobs_.count(after)) return NotFoundError("@after: no job " + after);
  auto doc = config::Document::Parse(config_yaml, name.empty() ? "submitted config" : name);
  if (!doc.ok()) return doc.status();
  MDETR_RETURN_IF_ERROR(doc->ApplyOverrides(overrides));
  if (!after.empty()) {
    // Validate with a stand-in path now; ReleaseDependents sets the parent's checkpoints folder.
    MDETR_RETURN_IF_ERROR(doc->ApplyOverride("model.init_checkpoint=<output of " + after + ">"));
  }
  auto cfg = config::ParseExperiment(*doc);
  if (!cfg.ok()) return cfg.status();

  const std::string task_id = job_id + "-t0";
  json task{{"id", task_id}, {"job", job_id}, {"state", after.empty() ? "pending" : "held"}, {"attempts", 0},
            {"attempt", 0}, {"priority", priority}, {"ranks", cfg->run.ranks},
            {"gpus_per_rank", cfg->run.gpus_per_rank}, {"cpus_per_rank", cfg->run.cpus_per_rank},
            {"config_yaml", doc->ToYaml()}, {"overrides", overrides}, {"after", after}, {"dir_name", task_id},
            {"last_step", 0}, {"last_checkpoint", ""}, {"metrics", json::object()}, {"workers", json::array()},
            {"ranks_ok", 0}};
  json job{{"id", job_id}, {"name", name.empty() ? cfg->name : name}, {"state", task["state"]},
           {"created", NowMs()}, {"tasks", {task_id}}, {"message", ""}, {"after", after}};
  PutTask(batch, task);
  PutJob(batch, job);
  AddEvent(batch, job_id, task_id, "", "submitted",
           after.empty() ? "queued" : "waiting for " + after + " to succeed");
  if (after.empty()) events->push_back(sch::SubmitTask{SpecForTask(task)});
  return job_id;
}

wire::Body CoordinatorService::OnSubmitJob(const std::string& sender, uint64_t request_id, const wire::SubmitJob& req) {
  // A retried request (same sender and id) gets the same job, never a second one.
  const std::string request_key = std::string(kRequestPrefix) + sender + "/" + std::to_string(request_id);
  if (auto seen = store_->Get(store::Family::kJobs, request_key); seen.ok()) return wire::SubmitReply{*seen, {}};
  store::Batch batch;
  std::vector<sch::Event> events;
  auto id = CreateJob(NewId("job"), req.name, req.config_yaml, req.overrides, req.priority, &batch, &events);
  if (!id.ok()) return ErrorBody(id.status());
  batch.Put(store::Family::kJobs, request_key, *id);
  if (auto s = Apply(std::move(events), std::move(batch)); !s.ok()) return ErrorBody(s);
  return wire::SubmitReply{*id, {}};
}

wire::Body CoordinatorService::OnSubmitSweep(const std::string& sender, uint64_t request_id,
                                             const wire::SubmitSweep& req) {
  const std::string request_key = std::string(kRequestPrefix) + sender + "/" + std::to_string(request_id);
  if (auto seen = store_->Get(store::Family::kJobs, request_key); seen.ok()) {
    const auto& sweep = jobs_[*seen];
    return wire::SubmitReply{*seen, sweep.value("trials", std::vector<std::string>{})};
  }
  // Trials and ids come from the sweep's content (sweep_plan.h): the same sweep, resubmitted or
  // retried after a restart, names the same trials, so each runs exactly once.
  auto plan = PlanSweep(req);
  if (!plan.ok()) return ErrorBody(plan.status());
  const std::string& sweep_id = plan->sweep_id;
  store::Batch batch;
  std::vector<sch::Event> events;
  std::vector<std::string> trial_ids;
  if (!jobs_.count(sweep_id)) {
    std::vector<std::string> created;
    for (const auto& trial : plan->trials) {
      const std::string& trial_id = trial.id;
      trial_ids.push_back(trial_id);
      if (jobs_.count(trial_id)) continue;
      std::vector<std::string> overrides = req.overrides;
      const auto assignments = trial.Overrides();
      overrides.insert(overrides.end(), assignments.begin(), assignments.end());
      const std::string label = trial.Label();
      std::vector<sch::Event> trial_events;
      auto id = CreateJob(trial_id, label, req.config_yaml, overrides, req.priority, &batch, &trial_events);
      if (!id.ok()) {
        // Nothing was committed: forget the trials this request already added in memory.
        for (const auto& added : created) {
          jobs_.erase(added);
          tasks_.erase(added + "-t0");
        }
        return ErrorBody(id.status().WithContext("trial " + label));
      }
      auto t = tasks_.at(trial_id + "-t0");
      t["sweep"] = sweep_id;
      if (t["state"] == "pending") t["state"] = "queued-by-sweep";  // released below within the concurrency limit
      PutTask(&batch, t);
      auto j = jobs_.at(trial_id);
      j["sweep"] = sweep_id;
      PutJob(&batch, j);
      created.push_back(trial_id);
    }
    std::string what = std::to_string(trial_ids.size()) + " trials";
    if (req.random_samples > 0) {
      what += " (" + std::to_string(plan->grid_points) + " grid points x " + std::to_string(req.random_samples) +
              " random samples, seed " + std::to_string(req.random_seed) +
              (plan->repeated > 0 ? ", " + std::to_string(plan->repeated) + " repeated draws run once" : "") + ")";
    }
    json sweep{{"id", sweep_id}, {"name", req.name}, {"kind", "sweep"}, {"state", "running"}, {"created", NowMs()},
               {"tasks", json::array()}, {"trials", trial_ids}, {"max_concurrent", req.max_concurrent},
               {"message", what}};
    PutJob(&batch, sweep);
    AddEvent(&batch, sweep_id, "", "", "sweep", what);
    ReleaseSweepTrials(&batch, sweep_id, &events);
  } else {
    trial_ids = jobs_.at(sweep_id).value("trials", std::vector<std::string>{});
  }
  batch.Put(store::Family::kJobs, request_key, sweep_id);
  if (auto s = Apply(std::move(events), std::move(batch)); !s.ok()) return ErrorBody(s);
  return wire::SubmitReply{sweep_id, trial_ids};
}

void CoordinatorService::ReleaseSweepTrials(store::Batch* batch, const std::string& sweep_id,
                                            std::vector<sch::Event>* events) {
  auto& sweep = jobs_.at(sweep_id);
  const int limit = sweep.value("max_concurrent", 0);
  int active = 0;
  std::vector<std::string> waiting;
  for (const auto& trial : sweep.value("trials", std::vector<std::string>{})) {
    auto it = tasks_.find(trial + "-t0");
    if (it == tasks_.end()) continue;
    const std::string state = it->second.value("state", "");
    if (state == "pending" || state == "running") ++active;
    if (state == "queued-by-sweep") waiting.push_back(it->first);
  }
  for (const auto& task_id : waiting) {
    if (limit > 0 && active >= limit) break;
    auto t = tasks_.at(task_id);
    t["state"] = "pending";
    PutTask(batch, t);
    events->push_back(sch::SubmitTask{SpecForTask(t)});
    ++active;
  }
  bool all_done = true;
  for (const auto& trial : sweep.value("trials", std::vector<std::string>{})) {
    auto it = jobs_.find(trial);
    if (it == jobs_.end()) continue;
    const std::string st = it->second.value("state", "");
    if (st != "succeeded" && st != "failed" && st != "cancelled" && st != "rejected") all_done = false;
  }
  if (all_done && sweep["state"] != "succeeded") {
    sweep["state"] = "succeeded";
    PutJob(batch, sweep);
  }
}

void CoordinatorService::ReleaseDependents(store::Batch* batch, const std::string& finished_job,
                                           std::vector<sch::Event>* events) {
  const auto& parent = jobs_.at(finished_job);
  const bool ok = parent.value("state", "") == "succeeded";
  for (auto& [task_id, t] : tasks_) {
    if (t.value("state", "") != "held" || t.value("after", "") != finished_job) continue;
    json task = t;
    if (!ok) {
      task["state"] = "failed";
      PutTask(batch, task);
      AddEvent(batch, task["job"], task_id, "", "failed", "its parent " + finished_job + " did not succeed");
      UpdateJobState(batch, task["job"]);
      continue;
    }
    // The parent's checkpoints become this task's starting weights.
    const std::string parent_task = parent.at("tasks").at(0).get<std::string>();
    auto doc = config::Document::Parse(task["config_yaml"].get<std::string>(), "config");
    if (doc.ok() && doc->ApplyOverride("model.init_checkpoint=" + TaskDir(parent_task) + "/checkpoints").ok()) {
      task["config_yaml"] = doc->ToYaml();
    }
    task["state"] = "pending";
    PutTask(batch, task);
    AddEvent(batch, task["job"], task_id, "", "released", "parent " + finished_job + " succeeded");
    events->push_back(sch::SubmitTask{SpecForTask(task)});
  }
}

void CoordinatorService::UpdateJobState(store::Batch* batch, const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  json job = it->second;
  std::string state = "succeeded";
  for (const auto& tid : job.at("tasks")) {
    const std::string ts = tasks_.at(tid.get<std::string>()).value("state", "");
    if (ts == "failed" || ts == "rejected") state = "failed";
    else if (ts == "cancelled" && state != "failed") state = "cancelled";
    else if (ts == "running" && (state == "succeeded")) state = "running";
    else if ((ts == "pending" || ts == "held" || ts == "queued-by-sweep") && state == "succeeded") state = "pending";
  }
  job["state"] = state;
  PutJob(batch, job);
}

Status CoordinatorService::Apply(std::vector<sch::Event> events, store::Batch batch) {
  std::vector<wire::Envelope> out;
  std::vector<std::string> routes;
  while (!events.empty()) {
    std::vector<sch::Event> follow_up;
    for (const auto& ev : events) {
      std::vector<sch::Action> actions;
      const Status s = scheduler_->Handle(ev, &actions);
      if (!s.ok()) MDETR_LOG_WARN("scheduler refused an event: {}", s.ToString());
      Record(&batch, actions, &out, &routes, &follow_up);
    }
    events = std::move(follow_up);
  }
  // Group commit: within a burst of requests everything waits for one synced commit at its end
  // (Flush), replies included, so nothing is acknowledged or acted on before it is durable.
  pending_.batch.Append(std::move(batch));
  pending_.snapshot = true;
  for (size_t i = 0; i < out.size(); ++i) pending_.sends.push_back({std::move(routes[i]), std::move(out[i]), false});
  return in_burst_ ? Status::Ok() : Flush();
}

Status CoordinatorService::Flush() {
  if (pending_.batch.empty() && !pending_.snapshot && pending_.sends.empty()) return Status::Ok();
  Pending work = std::move(pending_);
  pending_ = Pending{};
  // The scheduler's state once per commit, not once per request: it is the largest record.
  if (work.snapshot) work.batch.Put(store::Family::kJobs, kSnapshotKey, SnapshotToJson(scheduler_->Snapshot()).dump());
  const Status committed = store_->Commit(work.batch);  // synced
  if (!committed.ok()) MDETR_LOG_ERROR("committing {} state changes failed: {}", work.batch.size(), committed.ToString());
  for (auto& send : work.sends) {
    if (!committed.ok()) {
      if (!send.is_reply) continue;  // nothing happens that was not recorded
      send.envelope.body = ErrorBody(committed);
    }
    if (auto s = server_->Send(send.route, std::move(send.envelope)); !s.ok()) {
      MDETR_LOG_WARN("could not send to {}: {}", send.route, s.ToString());
    }
  }
  return committed;
}

void CoordinatorService::EndBurst() {
  std::lock_guard<std::mutex> lock(mu_);
  in_burst_ = false;
  (void)Flush();
}

void CoordinatorService::Record(store::Batch* batch, const std::vector<sch::Action>& actions,
                                std::vector<wire::Envelope>* out, std::vector<std::string>* routes,
                                std::vector<sch::Event>* follow_up) {
  for (const auto& action : actions) {
    if (const auto* place = std::get_if<sch::PlaceTask>(&action)) {
      auto task = tasks_.at(place->task);
      const std::string attempt_id = AttemptIdOf(place->task, place->attempt);
      task["state"] = "running";
      task["attempt"] = place->attempt;
      task["attempts"] = task.value("attempts", 0) + 1;
      task["ranks_ok"] = 0;
      json workers = json::array();
      for (const auto& r : place->ranks) workers.push_back(r.worker);
      task["workers"] = workers;
      PutTask(batch, task);
      AddEvent(batch, task["job"], place->task, attempt_id, "placed",
               "attempt " + std::to_string(task["attempts"].get<int>()) + " on " + workers.dump());
      const std::string master = workers_.count(place->ranks[0].worker)
                                     ? workers_.at(place->ranks[0].worker).value("address", "127.0.0.1")
                                     : "127.0.0.1";
      const int port = 20000 + static_cast<int>(StableHash64(attempt_id) % 20000);
      for (size_t r = 0; r < place->ranks.size(); ++r) {
        const auto& rank = place->ranks[r];
        wire::PlaceAttempt p;
        p.attempt_id = attempt_id;
        p.job_id = task["job"];
        p.task_id = place->task;
        p.fencing_token = place->attempt;
        p.rank = static_cast<int32_t>(r);
        p.world_size = static_cast<int32_t>(place->ranks.size());
        p.gpu_indices.assign(rank.gpus.begin(), rank.gpus.end());
        p.cpu_slots = rank.cpu_slots;
        p.master_addr = master;
        p.master_port = port;
        p.config_yaml = task["config_yaml"];
        p.env.push_back({"MDETR_TASK_DIR", TaskDir(place->task)});
        auto route = route_of_worker_.find(rank.worker);
        if (route == route_of_worker_.end()) continue;  // the worker will report and be reconciled
        wire::Envelope env;
        env.body = p;
        out->push_back(std::move(env));
        routes->push_back(route->second);
      }
      UpdateJobState(batch, task["job"]);
    } else if (const auto* kill = std::get_if<sch::KillAttempt>(&action)) {
      for (const auto& w : kill->workers) {
        auto route = route_of_worker_.find(w);
        if (route == route_of_worker_.end()) continue;
        wire::KillAttempt k;
        k.attempt_id = AttemptIdOf(kill->task, kill->attempt);
        k.fencing_token = kill->attempt;
        k.reason = kill->reason;
        k.grace_period_ms = 10000;
        k.checkpoint_first = true;
        wire::Envelope env;
        env.body = k;
        out->push_back(std::move(env));
        routes->push_back(route->second);
      }
    } else if (const auto* reject = std::get_if<sch::RejectTask>(&action)) {
      auto task = tasks_.at(reject->task);
      task["state"] = "rejected";
      PutTask(batch, task);
      auto job = jobs_.at(task["job"]);
      job["message"] = std::string(sch::RejectCodeName(reject->code)) + ": " + reject->reason;
      PutJob(batch, job);
      AddEvent(batch, task["job"], reject->task, "", "rejected", reject->reason);
      UpdateJobState(batch, task["job"]);
    } else if (const auto* requeue = std::get_if<sch::RequeueTask>(&action)) {
      auto task = tasks_.at(requeue->task);
      task["state"] = "pending";
      PutTask(batch, task);
      AddEvent(batch, task["job"], requeue->task, AttemptIdOf(requeue->task, requeue->failed_attempt), "requeued",
               std::string(sch::FailureKindName(requeue->cause)) + "; resumes from its last checkpoint (" +
                   std::to_string(requeue->retries_left) + " retries left)");
      UpdateJobState(batch, task["job"]);
    } else if (const auto* fail = std::get_if<sch::FailTask>(&action)) {
      auto task = tasks_.at(fail->task);
      task["state"] = fail->cause == sch::FailureKind::kPreempted && fail->reason == "cancelled" ? "cancelled" : "failed";
      PutTask(batch, task);
      auto job = jobs_.at(task["job"]);
      job["message"] = fail->reason;
      PutJob(batch, job);
      AddEvent(batch, task["job"], fail->task, AttemptIdOf(fail->task, fail->attempt), "failed", fail->reason);
      UpdateJobState(batch, task["job"]);
      ReleaseDependents(batch, task["job"], follow_up);
      if (task.contains("sweep")) ReleaseSweepTrials(batch, task["sweep"], follow_up);
    } else if (const auto* q = std::get_if<sch::QuarantineWorker>(&action)) {
      if (workers_.count(q->worker)) {
        auto w = workers_.at(q->worker);
        w["quarantined"] = true;
        workers_[q->worker] = w;
        batch->Put(store::Family::kWorkers, q->worker, w.dump());
      }
      AddEvent(batch, "", "", "", "quarantined", q->worker + ": " + q->reason);
    }
  }
}

wire::Body CoordinatorService::OnCancel(const wire::CancelJob& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  store::Batch batch;
  std::vector<sch::Event> events;
  std::vector<std::string> task_ids = it->second.value("tasks", std::vector<std::string>{});
  for (const auto& trial : it->second.value("trials", std::vector<std::string>{})) task_ids.push_back(trial + "-t0");
  for (const auto& tid : task_ids) {
    auto task = tasks_.at(tid);
    const std::string st = task.value("state", "");
    if (st == "succeeded" || st == "failed" || st == "cancelled" || st == "rejected") continue;
    if (st == "pending" || st == "running") events.push_back(sch::CancelTask{tid});
    task["state"] = "cancelled";
    PutTask(&batch, task);
    AddEvent(&batch, task["job"], tid, "", "cancelled", req.reason.empty() ? "by request" : req.reason);
    UpdateJobState(&batch, task["job"]);
  }
  auto job = jobs_.at(req.job_id);
  if (job.value("kind", "") == "sweep") {
    job["state"] = "cancelled";
    PutJob(&batch, job);
  }
  if (auto s = Apply(std::move(events), std::move(batch)); !s.ok()) return ErrorBody(s);
  return wire::Ack{};
}

wire::Body CoordinatorService::OnResume(const wire::ResumeJob& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  json job = it->second;
  const std::string st = job.value("state", "");
  if (st != "failed" && st != "cancelled") {
    return ErrorBody(FailedPreconditionError("job " + req.job_id + " is " + st + "; only failed or cancelled jobs resume"));
  }
  // A new task (the old one is finished for the scheduler) writing into the same folder, so the
  // trainer continues from the last checkpoint there.
  store::Batch batch;
  std::vector<sch::Event> events;
  const std::string old_id = job["tasks"].back().get<std::string>();
  json task = tasks_.at(old_id);
  const int generation = static_cast<int>(job["tasks"].size());
  const std::string new_id = req.job_id + "-t" + std::to_string(generation);
  task["id"] = new_id;
  task["state"] = "pending";
  task["attempt"] = 0;
  task["ranks_ok"] = 0;
  PutTask(&batch, task);
  job["tasks"].push_back(new_id);
  job["message"] = "";
  PutJob(&batch, job);
  AddEvent(&batch, req.job_id, new_id, "", "resumed", "continues from the last checkpoint of " + old_id);
  events.push_back(sch::SubmitTask{SpecForTask(task)});
  UpdateJobState(&batch, req.job_id);
  if (auto s = Apply(std::move(events), std::move(batch)); !s.ok()) return ErrorBody(s);
  return wire::Ack{};
}

std::optional<wire::Envelope> CoordinatorService::Handle(const transport::Peer& peer, const wire::Envelope& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  in_burst_ = true;  // until EndBurst: the server calls it after the burst this message is part of
  auto reply = HandleRequest(peer, msg);
  if (!reply || (pending_.batch.empty() && !pending_.snapshot && pending_.sends.empty())) return reply;
  // Something waits for the burst's commit: so does this reply (even a read must not show what is
  // not durable yet).
  reply->request_id = msg.request_id;
  pending_.sends.push_back({peer.routing_id, std::move(*reply), true});
  return std::nullopt;
}

std::optional<wire::Envelope> CoordinatorService::HandleRequest(const transport::Peer& peer, const wire::Envelope& msg) {
  wire::Envelope reply;
  reply.request_id = msg.request_id;
  const auto& b = msg.body;
  if (const auto* r = std::get_if<wire::RegisterWorker>(&b)) reply.body = OnRegister(peer, *r);
  else if (const auto* s = std::get_if<wire::AttemptStatus>(&b)) {
    if (auto w = worker_of_route_.find(peer.routing_id); w != worker_of_route_.end()) {
      auto rec = workers_[w->second];
      rec["last_seen"] = NowMs();
      workers_[w->second] = rec;
    }
    OnAttemptStatus(*s);
    return std::nullopt;
  } else if (const auto* j = std::get_if<wire::SubmitJob>(&b)) reply.body = OnSubmitJob(msg.sender, msg.request_id, *j);
  else if (const auto* w = std::get_if<wire::SubmitSweep>(&b)) reply.body = OnSubmitSweep(msg.sender, msg.request_id, *w);
  else if (const auto* g = std::get_if<wire::GetJobStatus>(&b)) reply.body = OnJobStatus(*g);
  else if (const auto* l = std::get_if<wire::ListJobs>(&b)) reply.body = OnListJobs(*l);
  else if (const auto* lw = std::get_if<wire::ListWorkers>(&b)) reply.body = OnListWorkers(*lw);
  else if (const auto* c = std::get_if<wire::CancelJob>(&b)) reply.body = OnCancel(*c);
  else if (const auto* rs = std::get_if<wire::ResumeJob>(&b)) reply.body = OnResume(*rs);
  else if (const auto* lg = std::get_if<wire::GetLogs>(&b)) reply.body = OnLogs(*lg);
  else if (const auto* m = std::get_if<wire::GetMetrics>(&b)) reply.body = OnMetrics(*m);
  else if (const auto* ck = std::get_if<wire::ListCheckpoints>(&b)) reply.body = OnCheckpoints(*ck);
  else if (const auto* ev = std::get_if<wire::GetEvents>(&b)) reply.body = OnEvents(*ev);
  else if (std::holds_alternative<wire::Heartbeat>(b) || std::holds_alternative<wire::Ack>(b)) return std::nullopt;
  else reply.body = ErrorBody(UnimplementedError(std::string("the coordinator does not take ") + wire::MessageKindName(b)));
  return reply;
}

}  // namespace mdetr::coordinator
