// The coordinator: accepts jobs and sweeps from clients, places every rank of every task on the
// workers through the scheduling core, follows attempts to completion, retries and resumes, and
// keeps all of it in RocksDB. Every state transition is committed (synced) before it is
// acknowledged or acted upon, so a restarted coordinator loses nothing it said yes to.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "common/store/store.h"
#include "common/transport/server.h"
#include "coordinator/scheduler/scheduler.h"

namespace mdetr::coordinator {

struct CoordinatorOptions {
  std::string data_dir;    // RocksDB state lives in <data_dir>/state
  std::string shared_dir;  // task outputs (checkpoints, logs) seen by every worker: <shared_dir>/tasks/<task>
  transport::ServerOptions server;
  scheduler::SchedulerConfig scheduler;
};

class CoordinatorService {
 public:
  static Result<std::unique_ptr<CoordinatorService>> Start(CoordinatorOptions options);
  ~CoordinatorService();
  const std::string& endpoint() const { return server_->endpoint(); }

 private:
  explicit CoordinatorService(CoordinatorOptions options);
  Status Recover();
  std::optional<wire::Envelope> Handle(const transport::Peer& peer, const wire::Envelope& msg);
  std::optional<wire::Envelope> HandleRequest(const transport::Peer& peer, const wire::Envelope& msg);
  // After a burst of messages: commits what they changed (one fsync) and sends their replies.
  void EndBurst();
  // Commits the pending state changes synced, then sends what waited for them; on a failed commit
  // the deferred replies become errors and nothing else is sent. mu_ held.
  Status Flush();
  void OnPeerLost(const transport::Peer& peer);
  // Ends the gang attempts whose infrastructure failure was held back long enough (on_beat).
  void ReleaseHeldFailures();

  // Request handlers (called with mu_ held); they return the reply body.
  wire::Body OnSubmitJob(const std::string& sender, uint64_t request_id, const wire::SubmitJob& req);
  wire::Body OnSubmitSweep(const std::string& sender, uint64_t request_id, const wire::SubmitSweep& req);
  wire::Body OnRegister(const transport::Peer& peer, const wire::RegisterWorker& req);
  void OnAttemptStatus(const wire::AttemptStatus& status);
  wire::Body OnJobStatus(const wire::GetJobStatus& req);
  wire::Body OnListJobs(const wire::ListJobs& req);
  wire::Body OnListWorkers(const wire::ListWorkers& req);
  wire::Body OnCancel(const wire::CancelJob& req);
  wire::Body OnResume(const wire::ResumeJob& req);
  wire::Body OnLogs(const wire::GetLogs& req);
  wire::Body OnMetrics(const wire::GetMetrics& req);
  wire::Body OnCheckpoints(const wire::ListCheckpoints& req);
  wire::Body OnEvents(const wire::GetEvents& req);

  // Creates a job (and its task) from a config; `held_until` names a job that must succeed first.
  Result<std::string> CreateJob(const std::string& job_id, const std::string& name, const std::string& config_yaml,
                                std::vector<std::string> overrides, int priority, store::Batch* batch,
                                std::vector<scheduler::Event>* events);
  // Applies scheduler events and records their actions in `batch`; commits and sends at once, or,
  // inside a burst, at its end (group commit).
  Status Apply(std::vector<scheduler::Event> events, store::Batch batch);
  void Record(store::Batch* batch, const std::vector<scheduler::Action>& actions, std::vector<wire::Envelope>* out,
              std::vector<std::string>* routes, std::vector<scheduler::Event>* follow_up);
  void AddEvent(store::Batch* batch, const std::string& job, const std::string& task, const std::string& attempt,
                const std::string& kind, const std::string& message);
  void PutJob(store::Batch* batch, const nlohmann::json& job);
  void PutTask(store::Batch* batch, const nlohmann::json& task);
  void UpdateJobState(store::Batch* batch, const std::string& job_id);
  void ReleaseDependents(store::Batch* batch, const std::string& finished_job, std::vector<scheduler::Event>* events);
  void ReleaseSweepTrials(store::Batch* batch, const std::string& sweep, std::vector<scheduler::Event>* events);
  scheduler::TaskSpec SpecForTask(const nlohmann::json& task) const;
  std::string TaskDir(const std::string& task_id) const;

  CoordinatorOptions options_;
  std::mutex mu_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<transport::Server> server_;
  std::map<std::string, nlohmann::json> jobs_, tasks_, workers_;
  std::map<std::string, std::string> route_of_worker_;  // worker id -> routing id
  std::map<std::string, std::string> worker_of_route_;
  uint64_t next_event_seq_ = 1;
  // Group commit (mu_ held): what the current burst changed and what waits for it to be durable.
  struct PendingSend {
    std::string route;
    wire::Envelope envelope;
    bool is_reply = false;
  };
  struct Pending {
    store::Batch batch;
    bool snapshot = false;
    std::vector<PendingSend> sends;
  };
  Pending pending_;
  bool in_burst_ = false;
  // Failures of multi-worker attempts waiting to see whether a worker of the gang was lost. Not
  // persisted: after a restart the surviving workers re-register without the failed rank, which
  // tears the attempt down the same way.
  struct HeldFailure {
    std::string task_id;
    uint64_t attempt = 0;
    scheduler::Outcome outcome = scheduler::Outcome::kInfrastructure;
    MonoTime release_at;
  };
  std::vector<HeldFailure> held_failures_;
};

}  // namespace mdetr::coordinator
