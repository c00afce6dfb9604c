#include "worker/daemon/worker_service.h"
#include "worker/daemon/failure_patterns.h"

#include <dlfcn.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/logging.h"

namespace mdetr::worker {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {
constexpr const char* kEventPrefix = "@@mdetr-event ";
int64_t NowMs() { return SystemClock::Instance().WallMillis(); }

wire::ExitClass ClassifyExit(int status, bool kill_requested, int* code, int* sig) {
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (WIFEXITED(status)) {
    switch (*code) {
      case 0: return wire::ExitClass::kSuccess;
      case 3: return kill_requested ? wire::ExitClass::kCancelled : wire::ExitClass::kPreempted;
      case 4: return wire::ExitClass::kInfraError;
      default: return wire::ExitClass::kAppError;  // 1 (a failure of the task) and 2 (bad input)
    }
  }
  return kill_requested ? wire::ExitClass::kCancelled : wire::ExitClass::kLost;
}
}  // namespace

WorkerService::WorkerService(WorkerOptions options)
    : options_(std::move(options)), work_(asio::make_work_guard(io_)), sigchld_(io_, SIGCHLD) {}

WorkerService::~WorkerService() {
  Stop();
  if (client_) client_->Stop();
}

int WorkerService::DetectGpus() const {
  if (options_.gpus >= 0) return options_.gpus;
  // The CUDA runtime when there is one; the daemon does not link it, so machines without CUDA run it too.
  void* lib = dlopen("libcudart.so", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) lib = dlopen("libcudart.so.13", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) return 0;
  using Fn = int (*)(int*);
  auto fn = reinterpret_cast<Fn>(dlsym(lib, "cudaGetDeviceCount"));
  int n = 0;
  if (!fn || fn(&n) != 0) n = 0;
  dlclose(lib);
  return n;
}

void WorkerService::CleanUpPreviousRun() {
  // Children of a previous daemon cannot be re-attached (their output pipe is gone): stop them so
  // the coordinator reschedules their tasks from the last checkpoint.
  std::error_code ec;
  const fs::path attempts = fs::path(options_.data_dir) / "attempts";
  if (!fs::is_directory(attempts, ec)) return;
  for (const auto& e : fs::directory_iterator(attempts, ec)) {
    std::ifstream in(e.path() / "pid");
    pid_t pid = 0;
    if (in >> pid && pid > 0 && kill(pid, 0) == 0) {
      std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
      std::string c((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
      if (c.find("mdetr-ml") != std::string::npos) {
        MDETR_LOG_WARN("stopping {} (pid {}) left by a previous worker run", e.path().filename().string(), pid);
        kill(pid, SIGKILL);
      }
    }
    fs::remove_all(e.path(), ec);
  }
}

Result<std::unique_ptr<WorkerService>> WorkerService::Start(WorkerOptions options) {
  std::unique_ptr<WorkerService> svc(new WorkerService(std::move(options)));
  fs::create_directories(fs::path(svc->options_.data_dir) / "attempts");
  svc->CleanUpPreviousRun();
  if (svc->options_.gpus < 0) svc->options_.gpus = svc->DetectGpus();
  auto* raw = svc.get();
  transport::ClientOptions co;
  co.endpoint = svc->options_.coordinator;
  co.name = svc->options_.worker_id;
  co.curve = svc->options_.curve;
  co.heartbeat = svc->options_.heartbeat;
  MDETR_ASSIGN_OR_RETURN(
      svc->client_,
      transport::Client::Connect(
          co, [raw](const wire::Envelope& m) { asio::post(raw->io_, [raw, m] { raw->OnMessage(m); }); },
          [raw](bool connected) { asio::post(raw->io_, [raw, connected] { raw->OnConnection(connected); }); }));
  svc->sigchld_.async_wait([raw](const boost::system::error_code&, int) { raw->Reap(); });
  asio::post(svc->io_, [raw] { raw->Register(); });
  return svc;
}

void WorkerService::Run() { io_.run(); }

void WorkerService::Stop() {
  asio::post(io_, [this] {
    for (auto& [id, c] : children_) {
      if (c->pid > 0) kill(c->pid, SIGTERM);
    }
    work_.reset();
    sigchld_.cancel();
    io_.stop();
  });
}

void WorkerService::Register() {
  wire::RegisterWorker reg;
  reg.worker_id = options_.worker_id;
  reg.hostname = options_.advertise_address;
  for (int i = 0; i < options_.gpus; ++i) reg.gpus.push_back({i, "", "", 0});
  reg.cpu_slots = options_.cpu_slots;
  for (const auto& [k, v] : options_.labels) reg.labels.push_back({k, v});
  for (const auto& [id, c] : children_) {
    wire::RunningAttempt r;
    r.attempt_id = id;
    r.job_id = c->job_id;
    r.task_id = c->task_id;
    r.rank = c->rank;
    r.fencing_token = c->fencing;
    r.pid = c->pid;
    reg.running.push_back(r);
  }
  reg.build_version = "mdetr-cluster 0.1.0";
  auto reply = client_->Call(reg, std::chrono::seconds(10));
  if (!reply.ok()) {
    MDETR_LOG_WARN("registration failed ({}); retrying", reply.status().ToString());
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
    timer->async_wait([this, timer](const boost::system::error_code&) { Register(); });
    return;
  }
  if (const auto* r = std::get_if<wire::RegisterReply>(&reply->body)) {
    registered_ = true;
    MDETR_LOG_INFO("registered as {} ({} GPUs, {} CPU slots)", r->worker_id, options_.gpus, options_.cpu_slots);
    for (const auto& fenced : r->kill_attempts) Kill(wire::KillAttempt{fenced, 0, "fenced by the coordinator", 5000, false});
    Flush();
  } else {
    MDETR_LOG_ERROR("the coordinator refused registration: {}", wire::MessageKindName(reply->body));
  }
}

void WorkerService::OnConnection(bool connected) {
  if (connected) {
    // A reconnect: tell the (maybe restarted) coordinator what still runs here. The first
    // connection's registration is already on its way.
    if (lost_coordinator_) Register();
    lost_coordinator_ = false;
  } else {
    lost_coordinator_ = true;
    MDETR_LOG_WARN("coordinator unreachable; {} ranks keep running, reports are buffered", children_.size());
  }
}

void WorkerService::OnMessage(const wire::Envelope& msg) {
  if (const auto* p = std::get_if<wire::PlaceAttempt>(&msg.body)) Place(*p);
  else if (const auto* k = std::get_if<wire::KillAttempt>(&msg.body)) Kill(*k);
}

void WorkerService::Place(const wire::PlaceAttempt& p) {
  if (children_.count(p.attempt_id)) return;  // a repeated placement: already running
  std::string task_dir;
  for (const auto& e : p.env) {
    if (e.key == "MDETR_TASK_DIR") task_dir = e.value;
  }
  const fs::path attempt_dir = fs::path(options_.data_dir) / "attempts" / (p.attempt_id + "-r" + std::to_string(p.rank));
  std::error_code ec;
  fs::create_directories(attempt_dir, ec);
  fs::create_directories(fs::path(task_dir) / "logs", ec);
  const std::string config_path = (attempt_dir / "config.yaml").string();
  std::ofstream(config_path) << p.config_yaml;
  auto child = std::make_unique<Child>();
  child->attempt_id = p.attempt_id;
  child->task_id = p.task_id;
  child->job_id = p.job_id;
  child->fencing = p.fencing_token;
  child->rank = p.rank;
  child->log_path = (fs::path(task_dir) / "logs" / ("rank" + std::to_string(p.rank) + ".log")).string();

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    Report(p.attempt_id, p.fencing_token, wire::AttemptFinished{-1, 0, wire::ExitClass::kInfraError, "pipe failed", NowMs()});
    return;
  }
  std::vector<std::string> args = {options_.ml_binary, "task", config_path, "--out", task_dir,
                                   "--rank", std::to_string(p.rank), "--world-size", std::to_string(p.world_size),
                                   "--master-addr", p.master_addr, "--master-port", std::to_string(p.master_port)};
  std::string visible;
  for (size_t i = 0; i < p.gpu_indices.size(); ++i) visible += (i ? "," : "") + std::to_string(p.gpu_indices[i]);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    setpgid(0, 0);
    // A rank must not outlive its worker: a worker killed with SIGKILL takes its ranks with it,
    // so the rescheduled attempt is the only writer of the task's folder.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!visible.empty()) setenv("CUDA_VISIBLE_DEVICES", visible.c_str(), 1);
    else setenv("CUDA_VISIBLE_DEVICES", "", 1);
    setenv("MDETR_ATTEMPT_ID", p.attempt_id.c_str(), 1);
    unsetenv("RANK");
    unsetenv("WORLD_SIZE");
    unsetenv("MASTER_ADDR");
    unsetenv("MASTER_PORT");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    Report(p.attempt_id, p.fencing_token, wire::AttemptFinished{-1, 0, wire::ExitClass::kInfraError, "fork failed", NowMs()});
    return;
  }
  child->pid = pid;
  std::ofstream(attempt_dir / "pid") << pid;
  child->out = std::make_unique<asio::posix::stream_descriptor>(io_, pipe_fds[0]);
  MDETR_LOG_INFO("started {} rank {}/{} as pid {}", p.attempt_id, p.rank, p.world_size, pid);
  const std::string id = p.attempt_id;
  children_[id] = std::move(child);
  Report(id, p.fencing_token, wire::AttemptStarted{pid, NowMs()});
  ReadOutput(id);
}

void WorkerService::ReadOutput(const std::string& attempt_id) {
  auto it = children_.find(attempt_id);
  if (it == children_.end() || !it->second->out) return;
  auto buf = std::make_shared<std::array<char, 8192>>();
  it->second->out->async_read_some(asio::buffer(*buf), [this, attempt_id, buf](const boost::system::error_code& ec, size_t n) {
    auto c = children_.find(attempt_id);
    if (c == children_.end()) return;
    Child& child = *c->second;
    if (n > 0) AppendOutput(child, buf->data(), n);
    if (ec) {
      child.out.reset();
      Reap();
      return;
    }
    ReadOutput(attempt_id);
  });
}

void WorkerService::HandleLine(Child& child, const std::string& line) {
  const auto at = line.find(kEventPrefix);
  if (at == std::string::npos) return;
  nlohmann::json ev;
  try {
    ev = nlohmann::json::parse(line.substr(at + std::strlen(kEventPrefix)));
  } catch (const std::exception&) {
    return;
  }
  const std::string type = ev.value("type", "");
  if (type == "step" || type == "eval") {
    wire::AttemptProgress p;
    p.step = ev.value("step", int64_t{0});
    p.epoch = ev.value("epoch", 0);
    p.at_millis = NowMs();
    const auto& src = type == "eval" ? ev["metrics"] : ev;
    for (const auto& [k, v] : src.items()) {
      if (!v.is_number() || k == "step" || k == "epoch" || k == "time_ms") continue;
      p.metrics.push_back({type == "eval" ? "eval/" + k : k, v.get<double>()});
    }
    Report(child.attempt_id, child.fencing, p);
  } else if (type == "checkpoint") {
    wire::CheckpointRecord c;
    c.job_id = child.job_id;
    c.task_id = child.task_id;
    c.attempt_id = child.attempt_id;
    c.path = ev.value("path", "");
    c.step = ev.value("step", int64_t{0});
    c.epoch = ev.value("epoch", 0);
    c.size_bytes = ev.value("bytes", uint64_t{0});
    c.sha256 = "crc32:" + std::to_string(ev.value("crc32", uint64_t{0}));
    c.at_millis = NowMs();
    Report(child.attempt_id, child.fencing, c);
  }
}

void WorkerService::DrainOutput(Child& child) {
  if (!child.out) return;
  boost::system::error_code ec;
  child.out->non_blocking(true, ec);
  std::array<char, 8192> buf;
  while (!ec) {
    const size_t n = child.out->read_some(asio::buffer(buf), ec);
    if (n == 0) break;
    AppendOutput(child, buf.data(), n);
  }
}

void WorkerService::AppendOutput(Child& child, const char* data, size_t n) {
  std::ofstream(child.log_path, std::ios::app).write(data, static_cast<std::streamsize>(n));
  child.line_buffer.append(data, n);
  size_t pos;
  while ((pos = child.line_buffer.find('\n')) != std::string::npos) {
    HandleLine(child, child.line_buffer.substr(0, pos));
    child.line_buffer.erase(0, pos + 1);
  }
}

void WorkerService::Reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto it = children_.begin(); it != children_.end(); ++it) {
      Child& c = *it->second;
      if (c.pid != pid) continue;
      int code = 0, sig = 0;
      auto cls = ClassifyExit(status, c.kill_requested, &code, &sig);
      std::string message = sig ? "killed by signal " + std::to_string(sig) : "exit " + std::to_string(code);
      if (cls == wire::ExitClass::kAppError) {
        DrainOutput(c);  // its last words may still sit in the pipe
        // A generic failure whose output names a node problem is the node's, not the user's.
        if (auto match = FindInfrastructureFailure(ReadTail(c.log_path))) {
          cls = wire::ExitClass::kInfraError;
          message += "; its output says \"" + match->pattern + "\": an infrastructure failure";
        }
      }
      MDETR_LOG_INFO("{} rank {} ended: {}", c.attempt_id, c.rank, message);
      Report(c.attempt_id, c.fencing, wire::AttemptFinished{code, sig, cls, message, NowMs()});
      std::error_code ec;
      fs::remove_all(fs::path(options_.data_dir) / "attempts" / (c.attempt_id + "-r" + std::to_string(c.rank)), ec);
      children_.erase(it);
      break;
    }
  }
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) Reap();
  });
}

void WorkerService::Kill(const wire::KillAttempt& k) {
  auto it = children_.find(k.attempt_id);
  if (it == children_.end()) return;
  Child& c = *it->second;
  c.kill_requested = true;
  // SIGTERM lets the trainer checkpoint and exit; SIGKILL after the grace period if it does not.
  kill(c.pid, SIGTERM);
  c.kill_timer = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(std::max<int64_t>(k.grace_period_ms, 100)));
  const pid_t pid = c.pid;
  c.kill_timer->async_wait([pid](const boost::system::error_code& ec) {
    if (!ec) kill(pid, SIGKILL);
  });
  MDETR_LOG_INFO("stopping {}: {}", k.attempt_id, k.reason);
}

void WorkerService::Report(const std::string& attempt_id, uint64_t fencing,
                           std::variant<wire::AttemptStarted, wire::AttemptProgress, wire::CheckpointRecord,
                                        wire::AttemptFinished> ev) {
  wire::AttemptStatus st;
  st.attempt_id = attempt_id;
  st.fencing_token = fencing;
  st.event = std::move(ev);
  {
    std::lock_guard<std::mutex> lock(outbox_mu_);
    outbox_.push_back(st);
  }
  Flush();
}

void WorkerService::Flush() {
  std::lock_guard<std::mutex> lock(outbox_mu_);
  while (!outbox_.empty() && client_->connected() && registered_) {
    if (!client_->Send(outbox_.front()).ok()) break;
    outbox_.pop_front();
  }
  if (!outbox_.empty()) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(500));
    timer->async_wait([this, timer](const boost::system::error_code&) { Flush(); });
  }
}

}  // namespace mdetr::worker
