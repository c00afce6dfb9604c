# The one schema for every message between the CLI, the coordinator and the workers.
#
# Evolution rules (Cap'n Proto keeps old and new peers compatible only if they are followed):
#   * add fields and union members at the end with the next ordinal; never renumber or reuse one;
#   * never change a field's type; deprecate by leaving it unset;
#   * bump kProtocolVersion (common/wire/messages.h) when a change alters meaning, and
#     kMinProtocolVersion when old peers can no longer be served.
# Generated types stay inside common/wire: the rest of the system sees the structs of messages.h.
@0x877b73defe7f7fb0;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mdetr::wire::schema");

struct Envelope {
  version @0 :UInt32;     # protocol version of the sender
  requestId @1 :UInt64;   # chosen by the requester; a reply carries the id of its request
  sender @2 :Text;        # "coordinator", a worker id, "cli-<user>@<host>"
  body :union {
    error @3 :ErrorReply;
    ack @4 :Ack;
    heartbeat @5 :Heartbeat;
    registerWorker @6 :RegisterWorker;
    registerReply @7 :RegisterReply;
    placeAttempt @8 :PlaceAttempt;
    killAttempt @9 :KillAttempt;
    attemptStatus @10 :AttemptStatus;
    submitJob @11 :SubmitJob;
    submitSweep @12 :SubmitSweep;
    submitReply @13 :SubmitReply;
    getJobStatus @14 :GetJobStatus;
    jobStatusReply @15 :JobStatusReply;
    listJobs @16 :ListJobs;
    listJobsReply @17 :ListJobsReply;
    listWorkers @18 :ListWorkers;
    listWorkersReply @19 :ListWorkersReply;
    cancelJob @20 :CancelJob;
    resumeJob @21 :ResumeJob;
    getLogs @22 :GetLogs;
    logsReply @23 :LogsReply;
    getMetrics @24 :GetMetrics;
    metricsReply @25 :MetricsReply;
    listCheckpoints @26 :ListCheckpoints;
    checkpointsReply @27 :CheckpointsReply;
    getEvents @28 :GetEvents;
    eventsReply @29 :EventsReply;
  }
}

# --- shared pieces ---------------------------------------------------------------------------

enum StatusCode {
  ok @0;
  invalidArgument @1;
  notFound @2;
  alreadyExists @3;
  failedPrecondition @4;
  outOfRange @5;
  unavailable @6;
  deadlineExceeded @7;
  resourceExhausted @8;
  aborted @9;
  cancelled @10;
  dataLoss @11;
  unimplemented @12;
  internal @13;
}

struct ErrorReply {
  code @0 :StatusCode;
  message @1 :Text;
}

struct Ack {
  message @0 :Text;
}

struct Label {
  key @0 :Text;
  value @1 :Text;
}

struct Metric {
  name @0 :Text;
  value @1 :Float64;
}

# --- worker <-> coordinator ------------------------------------------------------------------

struct Heartbeat {
  seq @0 :UInt64;
  sentAtMillis @1 :Int64;   # sender's wall clock, for logs only
  senderInstance @2 :UInt64;  # random per process start (0: not told): a change means the peer restarted
}

struct Gpu {
  index @0 :Int32;
  uuid @1 :Text;
  name @2 :Text;
  memoryBytes @3 :UInt64;
}

struct RunningAttempt {
  attemptId @0 :Text;
  jobId @1 :Text;
  taskId @2 :Text;
  rank @3 :Int32;
  fencingToken @4 :UInt64;
  epoch @5 :Int32;
  lastStep @6 :Int64;
  pid @7 :Int32;
}

struct RegisterWorker {
  workerId @0 :Text;
  hostname @1 :Text;
  gpus @2 :List(Gpu);
  cpuSlots @3 :Int32;
  labels @4 :List(Label);
  running @5 :List(RunningAttempt);   # attempts still alive after a reconnect
  buildVersion @6 :Text;
}

struct RegisterReply {
  workerId @0 :Text;
  heartbeatIntervalMs @1 :Int64;
  heartbeatLiveness @2 :Int32;
  killAttempts @3 :List(Text);        # running attempts the coordinator has fenced
}

struct PlaceAttempt {
  attemptId @0 :Text;
  jobId @1 :Text;
  taskId @2 :Text;
  fencingToken @3 :UInt64;
  rank @4 :Int32;
  worldSize @5 :Int32;
  gpuIndices @6 :List(Int32);
  cpuSlots @7 :Int32;
  masterAddr @8 :Text;
  masterPort @9 :Int32;
  configYaml @10 :Text;
  resumeCheckpoint @11 :Text;
  env @12 :List(Label);
}

struct KillAttempt {
  attemptId @0 :Text;
  fencingToken @1 :UInt64;
  reason @2 :Text;
  gracePeriodMs @3 :Int64;
  checkpointFirst @4 :Bool;
}

enum ExitClass {
  unknown @0;
  success @1;
  appError @2;        # the training code failed: counts against the retry budget
  infraError @3;      # node, GPU, NCCL or OOM-killer trouble: does not count
  preempted @4;
  cancelled @5;
  hung @6;            # stopped by the hang detector
  lost @7;            # the worker disappeared
}

struct AttemptStarted {
  pid @0 :Int32;
  startedAtMillis @1 :Int64;
}

struct AttemptProgress {
  step @0 :Int64;
  epoch @1 :Int32;
  atMillis @2 :Int64;
  metrics @3 :List(Metric);
}

struct CheckpointRecord {
  jobId @0 :Text;
  taskId @1 :Text;
  attemptId @2 :Text;
  path @3 :Text;
  step @4 :Int64;
  epoch @5 :Int32;
  sizeBytes @6 :UInt64;
  sha256 @7 :Text;
  atMillis @8 :Int64;
  isBest @9 :Bool;
}

struct AttemptFinished {
  exitCode @0 :Int32;
  termSignal @1 :Int32;
  exitClass @2 :ExitClass;
  message @3 :Text;
  atMillis @4 :Int64;
}

struct AttemptStatus {
  attemptId @0 :Text;
  fencingToken @1 :UInt64;
  event :union {
    started @2 :AttemptStarted;
    progress @3 :AttemptProgress;
    checkpoint @4 :CheckpointRecord;
    finished @5 :AttemptFinished;
  }
}

# --- client (CLI) <-> coordinator ------------------------------------------------------------

enum JobState {
  unknown @0;
  pending @1;
  running @2;
  succeeded @3;
  failed @4;
  cancelled @5;
  paused @6;
}

struct SubmitJob {
  name @0 :Text;
  configYaml @1 :Text;
  overrides @2 :List(Text);    # "key=value", applied after the config
  priority @3 :Int32;
  labels @4 :List(Label);
}

struct SweepAxis {
  key @0 :Text;
  values @1 :List(Text);
}

struct SubmitSweep {
  name @0 :Text;
  configYaml @1 :Text;
  overrides @2 :List(Text);
  axes @3 :List(SweepAxis);
  search @4 :Text;             # "grid" | "random" | "grid+random"
  maxTrials @5 :Int32;
  maxConcurrent @6 :Int32;
  priority @7 :Int32;
  randomSamples @8 :Int32;     # trials drawn from randomSpace (per grid point); 0: no random search
  randomSeed @9 :UInt64;
  randomSpace @10 :List(RandomParam);
}

# One dimension of a random search space.
struct RandomParam {
  key @0 :Text;
  distribution @1 :Text;       # "uniform" | "log_uniform" | "int_uniform" | "choice"
  low @2 :Float64;             # bounds of the numeric distributions (inclusive)
  high @3 :Float64;
  choices @4 :List(Text);      # the values of "choice", as YAML scalars
}

struct SubmitReply {
  jobId @0 :Text;
  trialIds @1 :List(Text);
}

struct GetJobStatus {
  jobId @0 :Text;
}

struct JobSummary {
  jobId @0 :Text;
  name @1 :Text;
  state @2 :JobState;
  createdAtMillis @3 :Int64;
  tasksTotal @4 :Int32;
  tasksRunning @5 :Int32;
  tasksDone @6 :Int32;
  tasksFailed @7 :Int32;
  message @8 :Text;
}

struct TaskSummary {
  taskId @0 :Text;
  state @1 :JobState;
  attempts @2 :Int32;
  currentAttemptId @3 :Text;
  workers @4 :List(Text);
  lastStep @5 :Int64;
  lastCheckpoint @6 :Text;
  metrics @7 :List(Metric);
}

struct JobStatusReply {
  job @0 :JobSummary;
  tasks @1 :List(TaskSummary);
}

struct ListJobs {
  states @0 :List(JobState);   # empty: all
  limit @1 :Int32;
  pageToken @2 :Text;
}

struct ListJobsReply {
  jobs @0 :List(JobSummary);
  nextPageToken @1 :Text;
}

struct ListWorkers {
  includeDead @0 :Bool;
}

struct WorkerSummary {
  workerId @0 :Text;
  hostname @1 :Text;
  alive @2 :Bool;
  gpusTotal @3 :Int32;
  gpusFree @4 :Int32;
  cpuSlots @5 :Int32;
  labels @6 :List(Label);
  runningAttempts @7 :List(Text);
  lastHeartbeatMillis @8 :Int64;
}

struct ListWorkersReply {
  workers @0 :List(WorkerSummary);
}

struct CancelJob {
  jobId @0 :Text;
  reason @1 :Text;
}

struct ResumeJob {
  jobId @0 :Text;
  fromCheckpoint @1 :Text;     # empty: the last committed one
}

struct GetLogs {
  jobId @0 :Text;
  taskId @1 :Text;
  rank @2 :Int32;
  offset @3 :Int64;
  maxBytes @4 :Int32;
}

struct LogsReply {
  data @0 :Data;
  nextOffset @1 :Int64;
  endOfStream @2 :Bool;        # the attempt has finished and everything was sent
}

struct GetMetrics {
  jobId @0 :Text;
  taskId @1 :Text;
  names @2 :List(Text);
  sinceStep @3 :Int64;
}

struct MetricPoint {
  taskId @0 :Text;
  step @1 :Int64;
  atMillis @2 :Int64;
  name @3 :Text;
  value @4 :Float64;
}

struct MetricsReply {
  points @0 :List(MetricPoint);
}

struct ListCheckpoints {
  jobId @0 :Text;
  taskId @1 :Text;
}

struct CheckpointsReply {
  checkpoints @0 :List(CheckpointRecord);
}

struct GetEvents {
  jobId @0 :Text;              # empty: every job
  afterSeq @1 :UInt64;
  limit @2 :Int32;
}

struct Event {
  seq @0 :UInt64;
  atMillis @1 :Int64;
  jobId @2 :Text;
  taskId @3 :Text;
  attemptId @4 :Text;
  kind @5 :Text;
  message @6 :Text;
}

struct EventsReply {
  events @0 :List(Event);
}
