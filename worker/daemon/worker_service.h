// The worker daemon: registers its GPUs (or CPU slots) with the coordinator, runs each assigned
// rank as a child `mdetr-ml task` process with its device, environment and rendezvous, captures
// its output to a log file, forwards its progress and checkpoint events, reports how it ended,
// and kills it (SIGTERM, then SIGKILL after a grace period) when told to. While the coordinator is
// unreachable it keeps its children running and buffers their reports.
#pragma once

#include <boost/asio.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "common/transport/client.h"

namespace mdetr::worker {

struct WorkerOptions {
  std::string worker_id;
  std::string coordinator;           // endpoint
  std::string advertise_address = "127.0.0.1";  // where other ranks reach this host's rank 0
  std::string data_dir;              // attempts/<id>/ (config, pid)
  std::string ml_binary;             // path of mdetr-ml
  int cpu_slots = 1;
  int gpus = -1;                     // -1: ask the CUDA runtime
  std::map<std::string, std::string> labels;
  std::optional<transport::ClientCurve> curve;
  transport::HeartbeatOptions heartbeat;
};

class WorkerService {
 public:
  static Result<std::unique_ptr<WorkerService>> Start(WorkerOptions options);
  ~WorkerService();
  // Blocks until Stop().
  void Run();
  void Stop();

 private:
  struct Child {
    std::string attempt_id, task_id, job_id;
    uint64_t fencing = 0;
    int rank = 0;
    pid_t pid = -1;
    bool kill_requested = false;
    std::unique_ptr<boost::asio::posix::stream_descriptor> out;
    std::string line_buffer;
    std::string log_path;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
  };

  explicit WorkerService(WorkerOptions options);
  void OnMessage(const wire::Envelope& msg);
  void OnConnection(bool connected);
  void Register();
  void Place(const wire::PlaceAttempt& p);
  // Reads what a finished rank left in its pipe (non-blocking) into its log and event handling.
  void DrainOutput(Child& child);
  // Appends a rank's output to its log and handles the complete lines (events).
  void AppendOutput(Child& child, const char* data, size_t n);
  void Kill(const wire::KillAttempt& k);
  void ReadOutput(const std::string& attempt_id);
  void HandleLine(Child& child, const std::string& line);
  void Reap();
  void Report(const std::string& attempt_id, uint64_t fencing,
              std::variant<wire::AttemptStarted, wire::AttemptProgress, wire::CheckpointRecord, wire::AttemptFinished> ev);
  void Flush();
  void CleanUpPreviousRun();
  int DetectGpus() const;

  WorkerOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::signal_set sigchld_;
  std::unique_ptr<transport::Client> client_;
  std::map<std::string, std::unique_ptr<Child>> children_;  // by attempt id (io thread only)
  std::mutex outbox_mu_;
  std::deque<wire::Body> outbox_;  // reports waiting for the coordinator
  bool registered_ = false;
  bool lost_coordinator_ = false;  // set on a disconnect: the next connect re-registers
};

}  // namespace mdetr::worker
