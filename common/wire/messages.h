// The messages of the wire protocol as plain C++ structs.
//
// The scheduler, the worker and the CLI build and read these; only common/wire/codec*.cc see the
// Cap'n Proto types generated from mdetr.capnp. Every struct mirrors the schema struct of the same
// name field for field; see mdetr.capnp for what each field means and how the schema may grow.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace mdetr::wire {

// Version this build speaks, and the oldest version it still accepts from a peer.
inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr uint32_t kMinProtocolVersion = 1;

// Every struct exposes Tie() so that == compares all of its fields (C++17 has no defaulted ==).
template <typename T, typename = decltype(std::declval<const T&>().Tie())>
bool operator==(const T& a, const T& b) {
  return a.Tie() == b.Tie();
}
template <typename T, typename = decltype(std::declval<const T&>().Tie())>
bool operator!=(const T& a, const T& b) {
  return !(a == b);
}

struct Label {
  std::string key;
  std::string value;
  auto Tie() const { return std::tie(key, value); }
};

struct Metric {
  std::string name;
  double value = 0;
  auto Tie() const { return std::tie(name, value); }
};

// ---- generic replies ------------------------------------------------------------------------

// The request failed; the code and message of a Status (see ToStatus / FromStatus in codec.h).
struct ErrorReply {
  StatusCode code = StatusCode::kInternal;
  std::string message;
  auto Tie() const { return std::tie(code, message); }
};

// The request succeeded and has nothing else to say.
struct Ack {
  std::string message;
  auto Tie() const { return std::tie(message); }
};

// ---- worker <-> coordinator -----------------------------------------------------------------

// Sent both ways every heartbeat interval; any message counts as a sign of life.
struct Heartbeat {
  uint64_t seq = 0;
  int64_t sent_at_millis = 0;
  // Random per process start of the sender (0 = not told). A server that restarts faster than the
  // clients' liveness timeout is only noticed through this: its clients must register again.
  uint64_t sender_instance = 0;
  auto Tie() const { return std::tie(seq, sent_at_millis, sender_instance); }
};

struct Gpu {
  int32_t index = 0;
  std::string uuid;
  std::string name;
  uint64_t memory_bytes = 0;
  auto Tie() const { return std::tie(index, uuid, name, memory_bytes); }
};

struct RunningAttempt {
  std::string attempt_id;
  std::string job_id;
  std::string task_id;
  int32_t rank = 0;
  uint64_t fencing_token = 0;
  int32_t epoch = 0;
  int64_t last_step = 0;
  int32_t pid = 0;
  auto Tie() const {
    return std::tie(attempt_id, job_id, task_id, rank, fencing_token, epoch, last_step, pid);
  }
};

struct RegisterWorker {
  std::string worker_id;
  std::string hostname;
  std::vector<Gpu> gpus;
  int32_t cpu_slots = 0;
  std::vector<Label> labels;
  std::vector<RunningAttempt> running;  // attempts still alive after a reconnect
  std::string build_version;
  auto Tie() const { return std::tie(worker_id, hostname, gpus, cpu_slots, labels, running, build_version); }
};

struct RegisterReply {
  std::string worker_id;
  int64_t heartbeat_interval_ms = 0;
  int32_t heartbeat_liveness = 0;
  std::vector<std::string> kill_attempts;  // running attempts the coordinator has fenced
  auto Tie() const { return std::tie(worker_id, heartbeat_interval_ms, heartbeat_liveness, kill_attempts); }
};

struct PlaceAttempt {
  std::string attempt_id;
  std::string job_id;
  std::string task_id;
  uint64_t fencing_token = 0;
  int32_t rank = 0;
  int32_t world_size = 0;
  std::vector<int32_t> gpu_indices;
  int32_t cpu_slots = 0;
  std::string master_addr;
  int32_t master_port = 0;
  std::string config_yaml;
  std::string resume_checkpoint;
  std::vector<Label> env;
  auto Tie() const {
    return std::tie(attempt_id, job_id, task_id, fencing_token, rank, world_size, gpu_indices, cpu_slots,
                    master_addr, master_port, config_yaml, resume_checkpoint, env);
  }
};

struct KillAttempt {
  std::string attempt_id;
  uint64_t fencing_token = 0;
  std::string reason;
  int64_t grace_period_ms = 0;
  bool checkpoint_first = false;
  auto Tie() const { return std::tie(attempt_id, fencing_token, reason, grace_period_ms, checkpoint_first); }
};

// How an attempt ended, which decides whether a retry counts against the job's budget.
enum class ExitClass { kUnknown, kSuccess, kAppError, kInfraError, kPreempted, kCancelled, kHung, kLost };

struct AttemptStarted {
  int32_t pid = 0;
  int64_t started_at_millis = 0;
  auto Tie() const { return std::tie(pid, started_at_millis); }
};

struct AttemptProgress {
  int64_t step = 0;
  int32_t epoch = 0;
  int64_t at_millis = 0;
  std::vector<Metric> metrics;
  auto Tie() const { return std::tie(step, epoch, at_millis, metrics); }
};

struct CheckpointRecord {
  std::string job_id;
  std::string task_id;
  std::string attempt_id;
  std::string path;
  int64_t step = 0;
  int32_t epoch = 0;
  uint64_t size_bytes = 0;
  std::string sha256;
  int64_t at_millis = 0;
  bool is_best = false;
  auto Tie() const {
    return std::tie(job_id, task_id, attempt_id, path, step, epoch, size_bytes, sha256, at_millis, is_best);
  }
};

struct AttemptFinished {
  int32_t exit_code = 0;
  int32_t term_signal = 0;
  ExitClass exit_class = ExitClass::kUnknown;
  std::string message;
  int64_t at_millis = 0;
  auto Tie() const { return std::tie(exit_code, term_signal, exit_class, message, at_millis); }
};

struct AttemptStatus {
  std::string attempt_id;
  uint64_t fencing_token = 0;
  std::variant<AttemptStarted, AttemptProgress, CheckpointRecord, AttemptFinished> event;
  auto Tie() const { return std::tie(attempt_id, fencing_token, event); }
};

// ---- client (CLI) <-> coordinator -----------------------------------------------------------

enum class JobState { kUnknown, kPending, kRunning, kSucceeded, kFailed, kCancelled, kPaused };

struct SubmitJob {
  std::string name;
  std::string config_yaml;
  std::vector<std::string> overrides;  // "key=value", applied after the config
  int32_t priority = 0;
  std::vector<Label> labels;
  auto Tie() const { return std::tie(name, config_yaml, overrides, priority, labels); }
};

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
  auto Tie() const { return std::tie(key, values); }
};

// One dimension of a random search space: a numeric distribution over [low, high], or a choice.
struct RandomParam {
  std::string key;
  std::string distribution;  // "uniform" | "log_uniform" | "int_uniform" | "choice"
  double low = 0;
  double high = 0;
  std::vector<std::string> choices = {};
  auto Tie() const { return std::tie(key, distribution, low, high, choices); }
};

struct SubmitSweep {
  std::string name;
  std::string config_yaml;
  std::vector<std::string> overrides;
  std::vector<SweepAxis> axes;
  std::string search;  // "grid" | "random" | "grid+random"
  int32_t max_trials = 0;
  int32_t max_concurrent = 0;
  int32_t priority = 0;
  // Seeded random search, crossed with the grid: every grid point gets the same samples.
  int32_t random_samples = 0;
  uint64_t random_seed = 0;
  std::vector<RandomParam> random_space = {};
  auto Tie() const {
    return std::tie(name, config_yaml, overrides, axes, search, max_trials, max_concurrent, priority, random_samples,
                    random_seed, random_space);
  }
};

struct SubmitReply {
  std::string job_id;
  std::vector<std::string> trial_ids;
  auto Tie() const { return std::tie(job_id, trial_ids); }
};

struct GetJobStatus {
  std::string job_id;
  auto Tie() const { return std::tie(job_id); }
};

struct JobSummary {
  std::string job_id;
  std::string name;
  JobState state = JobState::kUnknown;
  int64_t created_at_millis = 0;
  int32_t tasks_total = 0;
  int32_t tasks_running = 0;
  int32_t tasks_done = 0;
  int32_t tasks_failed = 0;
  std::string message;
  auto Tie() const {
    return std::tie(job_id, name, state, created_at_millis, tasks_total, tasks_running, tasks_done,
                    tasks_failed, message);
  }
};

struct TaskSummary {
  std::string task_id;
  JobState state = JobState::kUnknown;
  int32_t attempts = 0;
  std::string current_attempt_id;
  std::vector<std::string> workers;
  int64_t last_step = 0;
  std::string last_checkpoint;
  std::vector<Metric> metrics;
  auto Tie() const {
    return std::tie(task_id, state, attempts, current_attempt_id, workers, last_step, last_checkpoint,
                    metrics);
  }
};

struct JobStatusReply {
  JobSummary job;
  std::vector<TaskSummary> tasks;
  auto Tie() const { return std::tie(job, tasks); }
};

struct ListJobs {
  std::vector<JobState> states;  // empty: all
  int32_t limit = 0;
  std::string page_token;
  auto Tie() const { return std::tie(states, limit, page_token); }
};

struct ListJobsReply {
  std::vector<JobSummary> jobs;
  std::string next_page_token;
  auto Tie() const { return std::tie(jobs, next_page_token); }
};

struct ListWorkers {
  bool include_dead = false;
  auto Tie() const { return std::tie(include_dead); }
};

struct WorkerSummary {
  std::string worker_id;
  std::string hostname;
  bool alive = false;
  int32_t gpus_total = 0;
  int32_t gpus_free = 0;
  int32_t cpu_slots = 0;
  std::vector<Label> labels;
  std::vector<std::string> running_attempts;
  int64_t last_heartbeat_millis = 0;
  auto Tie() const {
    return std::tie(worker_id, hostname, alive, gpus_total, gpus_free, cpu_slots, labels, running_attempts,
                    last_heartbeat_millis);
  }
};

struct ListWorkersReply {
  std::vector<WorkerSummary> workers;
  auto Tie() const { return std::tie(workers); }
};

struct CancelJob {
  std::string job_id;
  std::string reason;
  auto Tie() const { return std::tie(job_id, reason); }
};

struct ResumeJob {
  std::string job_id;
  std::string from_checkpoint;  // empty: the last committed one
  auto Tie() const { return std::tie(job_id, from_checkpoint); }
};

struct GetLogs {
  std::string job_id;
  std::string task_id;
  int32_t rank = 0;
  int64_t offset = 0;
  int32_t max_bytes = 0;
  auto Tie() const { return std::tie(job_id, task_id, rank, offset, max_bytes); }
};

struct LogsReply {
  std::string data;  // raw bytes
  int64_t next_offset = 0;
  bool end_of_stream = false;
  auto Tie() const { return std::tie(data, next_offset, end_of_stream); }
};

struct GetMetrics {
  std::string job_id;
  std::string task_id;
  std::vector<std::string> names;
  int64_t since_step = 0;
  auto Tie() const { return std::tie(job_id, task_id, names, since_step); }
};

struct MetricPoint {
  std::string task_id;
  int64_t step = 0;
  int64_t at_millis = 0;
  std::string name;
  double value = 0;
  auto Tie() const { return std::tie(task_id, step, at_millis, name, value); }
};

struct MetricsReply {
  std::vector<MetricPoint> points;
  auto Tie() const { return std::tie(points); }
};

struct ListCheckpoints {
  std::string job_id;
  std::string task_id;
  auto Tie() const { return std::tie(job_id, task_id); }
};

struct CheckpointsReply {
  std::vector<CheckpointRecord> checkpoints;
  auto Tie() const { return std::tie(checkpoints); }
};

struct GetEvents {
  std::string job_id;  // empty: every job
  uint64_t after_seq = 0;
  int32_t limit = 0;
  auto Tie() const { return std::tie(job_id, after_seq, limit); }
};

struct Event {
  uint64_t seq = 0;
  int64_t at_millis = 0;
  std::string job_id;
  std::string task_id;
  std::string attempt_id;
  std::string kind;
  std::string message;
  auto Tie() const { return std::tie(seq, at_millis, job_id, task_id, attempt_id, kind, message); }
};

struct EventsReply {
  std::vector<Event> events;
  auto Tie() const { return std::tie(events); }
};

// ---- the envelope ---------------------------------------------------------------------------

// One alternative per message kind; the order is free (the schema's union ordinals are what
// travel), but keep it in step with MessageKindName() for readable logs.
using Body =
    std::variant<ErrorReply, Ack, Heartbeat, RegisterWorker, RegisterReply, PlaceAttempt, KillAttempt,
                 AttemptStatus, SubmitJob, SubmitSweep, SubmitReply, GetJobStatus, JobStatusReply, ListJobs,
                 ListJobsReply, ListWorkers, ListWorkersReply, CancelJob, ResumeJob, GetLogs, LogsReply,
                 GetMetrics, MetricsReply, ListCheckpoints, CheckpointsReply, GetEvents, EventsReply>;

struct Envelope {
  uint32_t version = kProtocolVersion;
  uint64_t request_id = 0;  // chosen by the requester; a reply carries the id of its request
  std::string sender;
  Body body;
  auto Tie() const { return std::tie(version, request_id, sender, body); }
};

// "heartbeat", "submit_job", ...: the kind of the body, for logs and error messages.
const char* MessageKindName(const Body& body);

template <typename T>
bool Holds(const Envelope& envelope) {
  return std::holds_alternative<T>(envelope.body);
}

// An error reply carrying `status` (which must not be OK), and the Status an error reply stands for.
ErrorReply ErrorFromStatus(const Status& status);
Status StatusFromError(const ErrorReply& error);

}  // namespace mdetr::wire
