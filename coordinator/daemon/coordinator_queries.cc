// The coordinator's read-only requests: job status, listings, logs, metrics, checkpoints, events.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "coordinator/daemon/coordinator_service.h"
#include "coordinator/daemon/records.h"
#include "common/store/keys.h"

namespace mdetr::coordinator {
using nlohmann::json;

wire::Body CoordinatorService::OnJobStatus(const wire::GetJobStatus& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  wire::JobStatusReply reply;
  const auto& j = it->second;
  reply.job = {j["id"], j.value("name", ""), JobStateFrom(j.value("state", "")), j.value("created", int64_t{0}),
               0, 0, 0, 0, j.value("message", "")};
  std::vector<std::string> task_ids = j.value("tasks", std::vector<std::string>{});
  for (const auto& trial : j.value("trials", std::vector<std::string>{})) task_ids.push_back(trial + "-t0");
  for (const auto& tid : task_ids) {
    auto t = tasks_.find(tid);
    if (t == tasks_.end()) continue;
    wire::TaskSummary ts;
    ts.task_id = tid;
    ts.state = JobStateFrom(t->second.value("state", ""));
    ts.attempts = t->second.value("attempts", 0);
    ts.current_attempt_id = AttemptIdOf(tid, t->second.value("attempt", uint64_t{0}));
    ts.workers = t->second.value("workers", std::vector<std::string>{});
    ts.last_step = t->second.value("last_step", int64_t{0});
    ts.last_checkpoint = t->second.value("last_checkpoint", "");
    for (const auto& [k, v] : t->second["metrics"].items()) {
      if (v.is_number()) ts.metrics.push_back({k, v.get<double>()});
    }
    reply.job.tasks_total++;
    if (ts.state == wire::JobState::kRunning) reply.job.tasks_running++;
    if (ts.state == wire::JobState::kSucceeded) reply.job.tasks_done++;
    if (ts.state == wire::JobState::kFailed) reply.job.tasks_failed++;
    reply.tasks.push_back(std::move(ts));
  }
  return reply;
}

wire::Body CoordinatorService::OnListJobs(const wire::ListJobs& req) {
  wire::ListJobsReply reply;
  for (const auto& [id, j] : jobs_) {
    auto st = std::get<wire::JobStatusReply>(OnJobStatus({id}));
    if (!req.states.empty() &&
        std::find(req.states.begin(), req.states.end(), st.job.state) == req.states.end()) {
      continue;
    }
    reply.jobs.push_back(st.job);
  }
  std::sort(reply.jobs.begin(), reply.jobs.end(),
            [](const auto& a, const auto& b) { return a.created_at_millis < b.created_at_millis; });
  if (req.limit > 0 && static_cast<int>(reply.jobs.size()) > req.limit) {
    reply.jobs.erase(reply.jobs.begin(), reply.jobs.end() - req.limit);
  }
  return reply;
}

wire::Body CoordinatorService::OnListWorkers(const wire::ListWorkers& req) {
  wire::ListWorkersReply reply;
  for (const auto& [id, w] : workers_) {
    const bool alive = w.value("connected", false);
    if (!alive && !req.include_dead) continue;
    wire::WorkerSummary s;
    s.worker_id = id;
    s.hostname = w.value("hostname", "");
    s.alive = alive;
    s.gpus_total = w.value("gpus", 0);
    s.cpu_slots = w.value("cpu_slots", 0);
    if (const auto* rec = scheduler_->FindWorker(id)) s.gpus_free = rec->free_gpus;
    for (const auto& [task_id, t] : tasks_) {
      if (t.value("state", "") != "running") continue;
      for (const auto& wk : t.at("workers")) {
        if (wk.get<std::string>() == id) s.running_attempts.push_back(AttemptIdOf(task_id, t.value("attempt", uint64_t{0})));
      }
    }
    const json labels = w.value("labels", json::object());  // a named copy: items() only refers to it
    for (const auto& [k, v] : labels.items()) s.labels.push_back({k, v.get<std::string>()});
    s.last_heartbeat_millis = w.value("last_seen", int64_t{0});
    reply.workers.push_back(std::move(s));
  }
  return reply;
}

wire::Body CoordinatorService::OnLogs(const wire::GetLogs& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  std::string task_id = req.task_id;
  if (task_id.empty()) task_id = it->second.value("tasks", std::vector<std::string>{}).empty()
                                     ? req.job_id + "-t0"
                                     : it->second["tasks"].back().get<std::string>();
  if (!tasks_.count(task_id)) return ErrorBody(NotFoundError("no task " + task_id));
  const std::string path = TaskDir(task_id) + "/logs/rank" + std::to_string(req.rank) + ".log";
  wire::LogsReply reply;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reply.next_offset = req.offset;
    reply.end_of_stream = tasks_.at(task_id).value("state", "") != "running";
    return reply;
  }
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  const int64_t from = std::min(std::max<int64_t>(req.offset, 0), size);
  const int64_t n = std::min<int64_t>(size - from, req.max_bytes > 0 ? req.max_bytes : 1 << 20);
  reply.data.resize(static_cast<size_t>(n));
  in.seekg(from);
  in.read(reply.data.data(), n);
  reply.next_offset = from + n;
  const std::string state = tasks_.at(task_id).value("state", "");
  reply.end_of_stream = reply.next_offset >= size && state != "running" && state != "pending";
  return reply;
}

wire::Body CoordinatorService::OnMetrics(const wire::GetMetrics& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  std::vector<std::string> task_ids = it->second.value("tasks", std::vector<std::string>{});
  for (const auto& trial : it->second.value("trials", std::vector<std::string>{})) task_ids.push_back(trial + "-t0");
  wire::MetricsReply reply;
  for (const auto& tid : task_ids) {
    if (!req.task_id.empty() && req.task_id != tid) continue;
    (void)store_->ScanPrefix(store::Family::kMetrics, tid + "/", [&](std::string_view key, std::string_view value) {
      // <task>/<step>/<name>; names may contain '/' ("eval/R@1").
      const auto first = key.find('/');
      const auto second = key.find('/', first + 1);
      const std::string name(key.substr(second + 1));
      if (!req.names.empty() && std::find(req.names.begin(), req.names.end(), name) == req.names.end()) return true;
      try {
        const auto j = json::parse(value);
        if (j["step"].get<int64_t>() < req.since_step) return true;
        reply.points.push_back({tid, j["step"].get<int64_t>(), j["at"].get<int64_t>(), name, j["value"].get<double>()});
      } catch (const std::exception&) {
      }
      return true;
    });
  }
  return reply;
}

wire::Body CoordinatorService::OnCheckpoints(const wire::ListCheckpoints& req) {
  auto it = jobs_.find(req.job_id);
  if (it == jobs_.end()) return ErrorBody(NotFoundError("no job " + req.job_id));
  wire::CheckpointsReply reply;
  for (const auto& tid : it->second.value("tasks", std::vector<std::string>{})) {
    (void)store_->ScanPrefix(store::Family::kCheckpoints, tid + "/", [&](std::string_view, std::string_view value) {
      try {
        const auto j = json::parse(value);
        wire::CheckpointRecord c;
        c.job_id = req.job_id;
        c.task_id = tid;
        c.attempt_id = j.value("attempt", "");
        c.path = j["path"];
        c.step = j["step"];
        c.epoch = j.value("epoch", 0);
        c.size_bytes = j.value("bytes", uint64_t{0});
        c.sha256 = j.value("digest", "");
        c.at_millis = j.value("at", int64_t{0});
        reply.checkpoints.push_back(std::move(c));
      } catch (const std::exception&) {
      }
      return true;
    });
  }
  return reply;
}

wire::Body CoordinatorService::OnEvents(const wire::GetEvents& req) {
  wire::EventsReply reply;
  (void)store_->ScanPrefix(store::Family::kEvents, "", [&](std::string_view, std::string_view value) {
    try {
      const auto j = json::parse(value);
      const uint64_t seq = j["seq"];
      if (seq <= req.after_seq) return true;
      if (!req.job_id.empty() && j.value("job", "") != req.job_id) return true;
      reply.events.push_back({seq, j["at"], j["job"], j["task"], j["attempt"], j["kind"], j["message"]});
    } catch (const std::exception&) {
    }
    return req.limit <= 0 || static_cast<int>(reply.events.size()) < req.limit;
  });
  return reply;
}

}  // namespace mdetr::coordinator
