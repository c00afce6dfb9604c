#include "cli/cluster_commands.h"

#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli/cluster_client.h"
#include "cli/eval_columns.h"
#include "cli/plot.h"
#include "cli/sweep_file.h"
#include "cli/table.h"
#include "common/config/experiment.h"
#include "common/config/reader.h"
#include "common/transport/curve_keys.h"

namespace mdetr::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* StateName(wire::JobState s) {
  switch (s) {
    case wire::JobState::kPending: return "pending";
    case wire::JobState::kRunning: return "running";
    case wire::JobState::kSucceeded: return "succeeded";
    case wire::JobState::kFailed: return "failed";
    case wire::JobState::kCancelled: return "cancelled";
    case wire::JobState::kPaused: return "paused";
    default: return "unknown";
  }
}

int Fail(const Status& s) {
  std::cerr << "mdetr: " << s.message() << "\n";
  return s.action() == Action::kFixInput ? 2 : 1;
}

template <typename T>
Result<T> Ask(const std::string& coordinator, wire::Body req, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  MDETR_ASSIGN_OR_RETURN(auto target, ResolveTarget(coordinator));
  MDETR_ASSIGN_OR_RETURN(auto reply, CallCoordinator(target, std::move(req), timeout));
  if (const auto* v = std::get_if<T>(&reply.body)) return *v;
  return InternalError(std::string("unexpected reply ") + wire::MessageKindName(reply.body));
}

std::string Age(int64_t millis) {
  if (millis <= 0) return "-";
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t s = (now - millis) / 1000;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

std::string Fmt(double v) { return FormatFigure(v); }

// Starts `argv` detached (own session), output to `log`; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string SelfDir() { return fs::read_symlink("/proc/self/exe").parent_path().string(); }

// ---- up / down ------------------------------------------------------------------------------

int RunUp(int workers, int cpu_slots, bool wait) {
  const std::string dir = LocalClusterDir();
  fs::create_directories(dir);
  std::ifstream existing(fs::path(dir) / "pids");
  pid_t old = 0;
  if (existing >> old && old > 0 && kill(old, 0) == 0) {
    std::cerr << "mdetr up: a local cluster already runs from " << dir << " (mdetr down to stop it)\n";
    return 2;
  }
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreePort());
  std::vector<pid_t> pids;
  pids.push_back(Spawn({SelfDir() + "/mdetr-coordinator", "--data-dir", dir + "/coordinator", "--shared-dir",
                        dir + "/shared", "--bind", endpoint},
                       dir + "/coordinator.log"));
  for (int i = 0; i < workers; ++i) {
    const std::string id = "worker-" + std::to_string(i);
    pids.push_back(Spawn({SelfDir() + "/mdetr-worker", "--id", id, "--coordinator", endpoint, "--data-dir",
                          dir + "/" + id, "--cpu-slots", std::to_string(cpu_slots), "--gpus", "-1"},
                         dir + "/" + id + ".log"));
  }
  {
    std::ofstream out(fs::path(dir) / "pids");
    for (pid_t p : pids) out << p << "\n";
    std::ofstream(fs::path(dir) / "coordinator.endpoint") << endpoint << "\n";
  }
  std::cout << "local cluster in " << dir << ": coordinator " << endpoint << ", " << workers << " workers\n";
  if (!wait) return 0;
  for (int i = 0; i < 100; ++i) {
    auto w = Ask<wire::ListWorkersReply>("", wire::ListWorkers{false}, std::chrono::seconds(2));
    const size_t n = w.ok() ? w->workers.size() : 0;
    std::cout << "\r  waiting for workers: " << n << "/" << workers << std::flush;
    if (static_cast<int>(n) >= workers) {
      std::cout << "\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cerr << "\nmdetr up: workers did not register; see " << dir << "/*.log\n";
  return 1;
}

int RunDown() {
  const std::string dir = LocalClusterDir();
  std::ifstream in(fs::path(dir) / "pids");
  std::vector<pid_t> pids;
  for (pid_t p; in >> p;) pids.push_back(p);
  if (pids.empty()) {
    std::cerr << "mdetr down: no local cluster in " << dir << "\n";
    return 2;
  }
  // Workers first (they stop their ranks), then the coordinator.
  for (size_t i = pids.size(); i-- > 0;) kill(pids[i], SIGTERM);
  for (int i = 0; i < 100; ++i) {
    bool any = false;
    for (pid_t p : pids) any = any || kill(p, 0) == 0;
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (pid_t p : pids) kill(p, SIGKILL);
  fs::remove(fs::path(dir) / "pids");
  fs::remove(fs::path(dir) / "coordinator.endpoint");
  std::cout << "stopped the local cluster in " << dir << "\n";
  return 0;
}

// ---- submit / sweep -------------------------------------------------------------------------

struct SubmitOptions {
  std::string config, name, after, coordinator;
  std::vector<std::string> overrides;
  int priority = 0, gpus = 0, nodes = 0, ranks = 0;
  bool json_out = false;
};

Result<std::string> EffectiveYaml(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(auto doc, config::Document::Load(path));
  return doc.ToYaml();
}

int RunSubmit(const SubmitOptions& o) {
  auto yaml = EffectiveYaml(o.config);
  if (!yaml.ok()) return Fail(yaml.status());
  wire::SubmitJob req;
  req.name = o.name.empty() ? fs::path(o.config).stem().string() : o.name;
  req.config_yaml = *yaml;
  req.overrides = o.overrides;
  req.priority = o.priority;
  if (o.gpus > 0) {
    req.overrides.push_back("run.ranks=" + std::to_string(o.gpus));
    req.overrides.push_back("run.gpus_per_rank=1");
    req.overrides.push_back("run.device=cuda");
  }
  if (o.ranks > 0) req.overrides.push_back("run.ranks=" + std::to_string(o.ranks));
  if (!o.after.empty()) req.overrides.push_back("@after=" + o.after);
  auto reply = Ask<wire::SubmitReply>(o.coordinator, req);
  if (!reply.ok()) return Fail(reply.status());
  if (o.json_out) std::cout << json{{"job_id", reply->job_id}}.dump() << "\n";
  else std::cout << reply->job_id << "\n";
  return 0;
}

// The trial table: one row per trial, one column per swept key.
void PrintTrials(const coordinator::SweepPlan& plan) {
  std::vector<std::string> header = {"TRIAL"};
  if (!plan.trials.empty()) {
    for (const auto& [k, v] : plan.trials.front().params) header.push_back(k);
  }
  Table t(header);
  for (const auto& trial : plan.trials) {
    std::vector<std::string> row = {trial.id};
    for (const auto& [k, v] : trial.params) row.push_back(v);
    t.Add(row);
  }
  t.Print();
}

json TrialsJson(const coordinator::SweepPlan& plan) {
  json arr = json::array();
  for (const auto& trial : plan.trials) {
    json params = json::object();
    for (const auto& [k, v] : trial.params) params[k] = v;
    arr.push_back({{"trial_id", trial.id}, {"params", params}});
  }
  return arr;
}

int RunSweep(const std::string& file, const std::string& coordinator, bool json_out, bool dry_run) {
  auto req = ReadSweepFile(file);
  if (!req.ok()) return Fail(req.status());
  // The coordinator expands the sweep the same way (coordinator/daemon/sweep_plan.h); expanding it
  // here too checks it before anything is sent and names the trials a dry run would create.
  auto plan = coordinator::PlanSweep(*req);
  if (!plan.ok()) return Fail(plan.status().WithContext(file));
  std::vector<std::string> planned;
  for (const auto& trial : plan->trials) planned.push_back(trial.id);
  std::string summary = std::to_string(plan->trials.size()) + " trials";
  if (req->random_samples > 0) {
    summary += ": " + std::to_string(plan->grid_points) + " grid points x " + std::to_string(req->random_samples) +
               " samples, seed " + std::to_string(req->random_seed);
    if (plan->repeated > 0) summary += ", " + std::to_string(plan->repeated) + " repeated draws run once";
  }
  if (dry_run) {
    if (auto s = CheckTrialConfigs(*req, *plan); !s.ok()) return Fail(s.WithContext(file));
    if (json_out) {
      std::cout << json{{"sweep_id", plan->sweep_id}, {"dry_run", true}, {"trials", planned},
                        {"trial_params", TrialsJson(*plan)}}.dump() << "\n";
    } else {
      std::cout << plan->sweep_id << " (" << summary << "; dry run, nothing submitted)\n";
      PrintTrials(*plan);
    }
    return 0;
  }
  auto reply = Ask<wire::SubmitReply>(coordinator, *req);
  if (!reply.ok()) return Fail(reply.status());
  // Values are shown only when the coordinator named the trials we expanded (same build).
  const bool same = reply->job_id == plan->sweep_id && reply->trial_ids == planned;
  if (json_out) {
    json out{{"sweep_id", reply->job_id}, {"trials", reply->trial_ids}};
    if (same) out["trial_params"] = TrialsJson(*plan);
    std::cout << out.dump() << "\n";
  } else if (same) {
    std::cout << reply->job_id << " (" << summary << ")\n";
    PrintTrials(*plan);
  } else {
    std::cout << reply->job_id << " (" << reply->trial_ids.size() << " trials)\n";
    for (const auto& t : reply->trial_ids) std::cout << "  " << t << "\n";
  }
  return 0;
}

// ---- status / workers / events ----------------------------------------------------------------

json JobJson(const wire::JobSummary& j) {
  return {{"job_id", j.job_id}, {"name", j.name}, {"state", StateName(j.state)}, {"tasks", j.tasks_total},
          {"running", j.tasks_running}, {"done", j.tasks_done}, {"failed", j.tasks_failed}, {"message", j.message},
          {"created_ms", j.created_at_millis}};
}

int PrintStatus(const std::string& job, const std::string& coordinator, bool json_out) {
  if (job.empty()) {
    auto jobs = Ask<wire::ListJobsReply>(coordinator, wire::ListJobs{});
    if (!jobs.ok()) return Fail(jobs.status());
    if (json_out) {
      json arr = json::array();
      for (const auto& j : jobs->jobs) arr.push_back(JobJson(j));
      std::cout << arr.dump(2) << "\n";
      return 0;
    }
    Table t({"JOB", "NAME", "STATE", "TASKS", "RUNNING", "DONE", "FAILED", "CREATED", "MESSAGE"});
    for (const auto& j : jobs->jobs) {
      t.Add({j.job_id, j.name, StateName(j.state), std::to_string(j.tasks_total), std::to_string(j.tasks_running),
             std::to_string(j.tasks_done), std::to_string(j.tasks_failed), Age(j.created_at_millis), j.message});
    }
    t.Print();
    return 0;
  }
  auto st = Ask<wire::JobStatusReply>(coordinator, wire::GetJobStatus{job});
  if (!st.ok()) return Fail(st.status());
  if (json_out) {
    json out = JobJson(st->job);
    out["task_details"] = json::array();
    for (const auto& t : st->tasks) {
      json m = json::object();
      for (const auto& x : t.metrics) m[x.name] = x.value;
      out["task_details"].push_back({{"task_id", t.task_id}, {"state", StateName(t.state)}, {"attempts", t.attempts},
                                     {"workers", t.workers}, {"step", t.last_step}, {"checkpoint", t.last_checkpoint},
                                     {"metrics", m}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << st->job.job_id << "  " << st->job.name << "  " << StateName(st->job.state)
            << (st->job.message.empty() ? "" : "  (" + st->job.message + ")") << "\n";
  Table t({"TASK", "STATE", "ATTEMPTS", "WORKERS", "STEP", "LOSS", "EVAL", "CHECKPOINT"});
  for (const auto& task : st->tasks) {
    std::string loss = "-", workers;
    std::vector<std::pair<std::string, double>> metrics;
    for (const auto& m : task.metrics) {
      if (m.name == "loss") loss = Fmt(m.value);
      metrics.emplace_back(m.name, m.value);
    }
    for (const auto& w : task.workers) workers += (workers.empty() ? "" : ",") + w;
    t.Add({task.task_id, StateName(task.state), std::to_string(task.attempts), workers.empty() ? "-" : workers,
           std::to_string(task.last_step), loss, EvalCell(metrics), task.last_checkpoint.empty() ? "-" : fs::path(task.last_checkpoint).filename().string()});
  }
  t.Print();
  return 0;
}

int PrintWorkers(const std::string& coordinator, bool json_out) {
  auto w = Ask<wire::ListWorkersReply>(coordinator, wire::ListWorkers{true});
  if (!w.ok()) return Fail(w.status());
  if (json_out) {
    json arr = json::array();
    for (const auto& x : w->workers) {
      arr.push_back({{"worker_id", x.worker_id}, {"alive", x.alive}, {"gpus", x.gpus_total}, {"gpus_free", x.gpus_free},
                     {"cpu_slots", x.cpu_slots}, {"running", x.running_attempts}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  Table t({"WORKER", "HOST", "ALIVE", "GPUS", "FREE", "CPU SLOTS", "RUNNING"});
  for (const auto& x : w->workers) {
    std::string running;
    for (const auto& a : x.running_attempts) running += (running.empty() ? "" : ",") + a;
    t.Add({x.worker_id, x.hostname, x.alive ? "yes" : "no", std::to_string(x.gpus_total), std::to_string(x.gpus_free),
           std::to_string(x.cpu_slots), running.empty() ? "-" : running});
  }
  t.Print();
  return 0;
}

int PrintEvents(const std::string& job, const std::string& coordinator, bool json_out) {
  auto ev = Ask<wire::EventsReply>(coordinator, wire::GetEvents{job, 0, 0});
  if (!ev.ok()) return Fail(ev.status());
  if (json_out) {
    json arr = json::array();
    for (const auto& e : ev->events) {
      arr.push_back({{"seq", e.seq}, {"at_ms", e.at_millis}, {"job", e.job_id}, {"task", e.task_id},
                     {"attempt", e.attempt_id}, {"kind", e.kind}, {"message", e.message}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  Table t({"SEQ", "WHEN", "KIND", "JOB", "ATTEMPT", "MESSAGE"});
  for (const auto& e : ev->events) {
    t.Add({std::to_string(e.seq), Age(e.at_millis), e.kind, e.job_id.empty() ? "-" : e.job_id,
           e.attempt_id.empty() ? "-" : e.attempt_id, e.message});
  }
  t.Print();
  return 0;
}

// ---- logs / metrics / checkpoints ---------------------------------------------------------------

int RunLogs(const std::string& job, int rank, bool follow, const std::string& coordinator) {
  int64_t offset = 0;
  while (true) {
    wire::GetLogs req;
    req.job_id = job;
    req.rank = rank;
    req.offset = offset;
    req.max_bytes = 1 << 20;
    auto r = Ask<wire::LogsReply>(coordinator, req);
    if (!r.ok()) return Fail(r.status());
    std::cout << r->data << std::flush;
    offset = r->next_offset;
    if (!follow || (r->end_of_stream && r->data.empty())) return 0;
    if (r->data.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int RunMetrics(const std::string& job, const std::string& coordinator, bool csv, bool json_out, const std::string& plot) {
  auto m = Ask<wire::MetricsReply>(coordinator, wire::GetMetrics{job, "", {}, 0}, std::chrono::seconds(30));
  if (!m.ok()) return Fail(m.status());
  if (json_out) {
    json arr = json::array();
    for (const auto& p : m->points) arr.push_back({{"task", p.task_id}, {"step", p.step}, {"name", p.name}, {"value", p.value}});
    std::cout << arr.dump() << "\n";
  } else if (csv) {
    std::cout << "task,step,name,value\n";
    for (const auto& p : m->points) std::cout << p.task_id << "," << p.step << "," << p.name << "," << p.value << "\n";
  } else {
    // Last value of the headline metrics per task.
    std::map<std::string, std::map<std::string, std::pair<int64_t, double>>> last;
    for (const auto& p : m->points) {
      auto& slot = last[p.task_id][p.name];
      if (p.step >= slot.first) slot = {p.step, p.value};
    }
    // One column per headline eval metric of any task: every validation set's.
    std::set<std::string, HeadlineOrder> eval_columns;
    for (const auto& entry : last) {
      for (const auto& [n, v] : entry.second) {
        if (IsHeadlineEvalMetric(n)) eval_columns.insert(n);
      }
    }
    std::vector<std::string> header = {"TASK", "STEP", "LOSS", "LOSS_CE", "LOSS_GIOU", "IMAGES/S"};
    for (const auto& n : eval_columns) header.push_back(n);
    Table t(header);
    for (const auto& entry : last) {
      const std::string& task = entry.first;
      const auto& metrics = entry.second;
      auto get = [&metrics](const char* n) {
        auto it = metrics.find(n);
        return it == metrics.end() ? std::string("-") : Fmt(it->second.second);
      };
      int64_t step = 0;
      for (const auto& [n, v] : metrics) step = std::max(step, v.first);
      std::vector<std::string> row = {task, std::to_string(step), get("loss"), get("loss_ce"), get("loss_giou"),
                                      get("images_per_s")};
      for (const auto& n : eval_columns) row.push_back(get(n.c_str()));
      t.Add(row);
    }
    t.Print();
  }
  if (!plot.empty()) {
    std::map<std::string, Series> loss, recall;
    for (const auto& p : m->points) {
      if (p.name == "loss") {
        loss[p.task_id].name = p.task_id;
        loss[p.task_id].points.push_back({static_cast<double>(p.step), p.value});
      } else if (p.name == "eval/R@1") {
        recall[p.task_id].name = p.task_id;
        recall[p.task_id].points.push_back({static_cast<double>(p.step), p.value});
      }
    }
    std::vector<Series> a, b;
    for (auto& [k, s] : loss) {
      std::sort(s.points.begin(), s.points.end());
      a.push_back(s);
    }
    for (auto& [k, s] : recall) {
      std::sort(s.points.begin(), s.points.end());
      b.push_back(s);
    }
    if (auto s = PlotPng(plot, {{"training loss", a}, {"held-out Recall@1", b}}); !s.ok()) return Fail(s);
    std::cerr << "wrote " << plot << "\n";
  }
  return 0;
}

int RunCheckpoints(const std::string& job, const std::string& coordinator, bool json_out) {
  auto c = Ask<wire::CheckpointsReply>(coordinator, wire::ListCheckpoints{job, ""});
  if (!c.ok()) return Fail(c.status());
  if (json_out) {
    json arr = json::array();
    for (const auto& x : c->checkpoints) {
      arr.push_back({{"task", x.task_id}, {"step", x.step}, {"epoch", x.epoch}, {"path", x.path}, {"bytes", x.size_bytes},
                     {"digest", x.sha256}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  Table t({"TASK", "STEP", "EPOCH", "SIZE", "ATTEMPT", "PATH"});
  for (const auto& x : c->checkpoints) {
    t.Add({x.task_id, std::to_string(x.step), std::to_string(x.epoch), Fmt(static_cast<double>(x.size_bytes) / 1e6) + " MB",
           x.attempt_id, x.path});
  }
  t.Print();
  return 0;
}

int RunKeygen(const std::string& dir) {
  fs::create_directories(dir);
  std::ofstream authorized;
  for (const char* name : {"coordinator", "worker", "cli"}) {
    auto keys = transport::GenerateCurveKeyPair();
    if (!keys.ok()) return Fail(keys.status());
    if (auto s = transport::WriteCurveKeyPair(dir, name, *keys); !s.ok()) return Fail(s);
    if (std::string(name) != "coordinator") {
      std::ofstream(fs::path(dir) / "authorized_keys", std::ios::app) << keys->public_key << " " << name << "\n";
    }
  }
  std::cout << "wrote CURVE keys to " << dir
            << ": coordinator.{pub,secret}, worker.{pub,secret}, cli.{pub,secret}, authorized_keys\n"
               "start the coordinator with --keys " << dir << " and copy worker.secret + coordinator.pub to workers\n";
  return 0;
}

}  // namespace

void AddClusterCommands(CLI::App& app, int* exit_code) {
  auto coordinator = std::make_shared<std::string>();
  auto json_out = std::make_shared<bool>(false);
  auto add_common = [&](CLI::App* cmd, bool with_json = true) {
    cmd->add_option("--coordinator", *coordinator, "Coordinator endpoint (default: the local cluster)");
    if (with_json) cmd->add_flag("--json", *json_out, "Machine-readable output");
  };

  auto up_workers = std::make_shared<int>(3), up_slots = std::make_shared<int>(1);
  auto* up = app.add_subcommand("up", "Start a local cluster (coordinator + workers) in the background");
  up->add_option("--workers", *up_workers, "Worker daemons")->capture_default_str();
  up->add_option("--cpu-slots", *up_slots, "CPU slots per worker")->capture_default_str();
  up->callback([=] { *exit_code = RunUp(*up_workers, *up_slots, true); });
  app.add_subcommand("down", "Stop the local cluster")->callback([=] { *exit_code = RunDown(); });

  auto so = std::make_shared<SubmitOptions>();
  auto* submit = app.add_subcommand("submit", "Submit a training/evaluation job");
  submit->add_option("config", so->config, "Experiment config (YAML)")->required();
  submit->add_option("--set", so->overrides, "Override a value: key.path=value (repeatable)");
  submit->add_option("--name", so->name, "Job name (default: the config's file name)");
  submit->add_option("--gpus", so->gpus, "GPUs in all (one rank each)");
  submit->add_option("--nodes", so->nodes, "Spread over this many nodes (the scheduler packs when it can)");
  submit->add_option("--ranks", so->ranks, "Ranks (processes) for a CPU job");
  submit->add_option("--priority", so->priority, "Larger runs first");
  submit->add_option("--after", so->after, "Start when this job succeeds, from its checkpoints");
  submit->add_option("--coordinator", so->coordinator, "Coordinator endpoint");
  submit->add_flag("--json", so->json_out, "Machine-readable output");
  submit->callback([=] { *exit_code = RunSubmit(*so); });

  auto sweep_file = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto* sweep = app.add_subcommand(
      "sweep", "Submit a sweep: grid and/or seeded random search (each trial once, even if resubmitted)");
  sweep->add_option("file", *sweep_file, "Sweep YAML: name, base, set, grid, random, max_concurrent")->required();
  sweep->add_flag("--dry-run", *dry_run, "Print the trials (id and values) without submitting");
  add_common(sweep);
  sweep->callback([=] { *exit_code = RunSweep(*sweep_file, *coordinator, *json_out, *dry_run); });

  auto job = std::make_shared<std::string>();
  auto watch = std::make_shared<bool>(false);
  for (const char* name : {"status", "ps"}) {
    auto* st = app.add_subcommand(name, "Jobs (or one job's tasks) as a table");
    st->add_option("job", *job, "A job id");
    st->add_flag("--watch", *watch, "Refresh every 2 s");
    add_common(st);
    st->callback([=] {
      do {
        if (*watch) std::cout << "\033[2J\033[H";
        *exit_code = PrintStatus(*job, *coordinator, *json_out);
        if (*watch) std::this_thread::sleep_for(std::chrono::seconds(2));
      } while (*watch && *exit_code == 0);
    });
  }
  auto* workers = app.add_subcommand("workers", "Workers and what they run");
  add_common(workers);
  workers->callback([=] { *exit_code = PrintWorkers(*coordinator, *json_out); });
  auto* events = app.add_subcommand("events", "The cluster's event log (or one job's)");
  events->add_option("job", *job, "A job id");
  add_common(events);
  events->callback([=] { *exit_code = PrintEvents(*job, *coordinator, *json_out); });

  auto rank = std::make_shared<int>(0);
  auto follow = std::make_shared<bool>(false);
  auto* logs = app.add_subcommand("logs", "A job's output");
  logs->add_option("job", *job, "Job id")->required();
  logs->add_option("--rank", *rank, "Rank");
  logs->add_flag("-f,--follow", *follow, "Keep printing new output");
  add_common(logs, false);
  logs->callback([=] { *exit_code = RunLogs(*job, *rank, *follow, *coordinator); });

  auto csv = std::make_shared<bool>(false);
  auto plot = std::make_shared<std::string>();
  auto* metrics = app.add_subcommand("metrics", "A job's metrics: table, --csv, --json, --plot out.png");
  metrics->add_option("job", *job, "Job (or sweep) id")->required();
  metrics->add_flag("--csv", *csv, "Every point as CSV");
  metrics->add_option("--plot", *plot, "Write loss and Recall@1 curves as PNG");
  add_common(metrics);
  metrics->callback([=] { *exit_code = RunMetrics(*job, *coordinator, *csv, *json_out, *plot); });

  auto* ckpts = app.add_subcommand("checkpoints", "A job's checkpoints");
  ckpts->add_option("job", *job, "Job id")->required();
  add_common(ckpts);
  ckpts->callback([=] { *exit_code = RunCheckpoints(*job, *coordinator, *json_out); });

  auto* cancel = app.add_subcommand("cancel", "Cancel a job (its ranks checkpoint and stop)");
  cancel->add_option("job", *job, "Job id")->required();
  add_common(cancel, false);
  cancel->callback([=] {
    auto r = Ask<wire::Ack>(*coordinator, wire::CancelJob{*job, "cancelled from the CLI"});
    *exit_code = r.ok() ? 0 : Fail(r.status());
    if (r.ok()) std::cout << "cancelled " << *job << "\n";
  });
  auto* resume = app.add_subcommand("resume", "Restart a failed or cancelled job from its last checkpoint");
  resume->add_option("job", *job, "Job id")->required();
  add_common(resume, false);
  resume->callback([=] {
    auto r = Ask<wire::Ack>(*coordinator, wire::ResumeJob{*job, ""});
    *exit_code = r.ok() ? 0 : Fail(r.status());
    if (r.ok()) std::cout << "resumed " << *job << "\n";
  });

  auto keys_dir = std::make_shared<std::string>();
  auto* keygen = app.add_subcommand("keygen", "Make the cluster's CURVE keys");
  keygen->add_option("dir", *keys_dir, "Output folder")->required();
  keygen->callback([=] { *exit_code = RunKeygen(*keys_dir); });
}

}  // namespace mdetr::cli
