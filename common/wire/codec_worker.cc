// Conversions for the worker <-> coordinator messages.
#include <string>
#include <variant>

#include "common/wire/codec_internal.h"

namespace mdetr::wire::internal {

void Write(s::Heartbeat::Builder b, const Heartbeat& v) {
  b.setSeq(v.seq);
  b.setSentAtMillis(v.sent_at_millis);
  b.setSenderInstance(v.sender_instance);
}
Heartbeat Read(s::Heartbeat::Reader r) {
  return Heartbeat{r.getSeq(), r.getSentAtMillis(), r.getSenderInstance()};
}

void Write(s::Gpu::Builder b, const Gpu& v) {
  b.setIndex(v.index);
  b.setUuid(Text(v.uuid));
  b.setName(Text(v.name));
  b.setMemoryBytes(v.memory_bytes);
}
Gpu Read(s::Gpu::Reader r) {
  return Gpu{r.getIndex(), Str(r.getUuid()), Str(r.getName()), r.getMemoryBytes()};
}

void Write(s::RunningAttempt::Builder b, const RunningAttempt& v) {
  b.setAttemptId(Text(v.attempt_id));
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  b.setRank(v.rank);
  b.setFencingToken(v.fencing_token);
  b.setEpoch(v.epoch);
  b.setLastStep(v.last_step);
  b.setPid(v.pid);
}
RunningAttempt Read(s::RunningAttempt::Reader r) {
  return RunningAttempt{Str(r.getAttemptId()), Str(r.getJobId()), Str(r.getTaskId()), r.getRank(),
                        r.getFencingToken(),   r.getEpoch(),      r.getLastStep(),    r.getPid()};
}

void Write(s::RegisterWorker::Builder b, const RegisterWorker& v) {
  b.setWorkerId(Text(v.worker_id));
  b.setHostname(Text(v.hostname));
  WriteList(b.initGpus(static_cast<unsigned>(v.gpus.size())), v.gpus);
  b.setCpuSlots(v.cpu_slots);
  WriteList(b.initLabels(static_cast<unsigned>(v.labels.size())), v.labels);
  WriteList(b.initRunning(static_cast<unsigned>(v.running.size())), v.running);
  b.setBuildVersion(Text(v.build_version));
}
RegisterWorker Read(s::RegisterWorker::Reader r) {
  RegisterWorker v;
  v.worker_id = Str(r.getWorkerId());
  v.hostname = Str(r.getHostname());
  v.gpus = ReadList<Gpu>(r.getGpus());
  v.cpu_slots = r.getCpuSlots();
  v.labels = ReadList<Label>(r.getLabels());
  v.running = ReadList<RunningAttempt>(r.getRunning());
  v.build_version = Str(r.getBuildVersion());
  return v;
}

void Write(s::RegisterReply::Builder b, const RegisterReply& v) {
  b.setWorkerId(Text(v.worker_id));
  b.setHeartbeatIntervalMs(v.heartbeat_interval_ms);
  b.setHeartbeatLiveness(v.heartbeat_liveness);
  WriteStrings(b.initKillAttempts(static_cast<unsigned>(v.kill_attempts.size())), v.kill_attempts);
}
RegisterReply Read(s::RegisterReply::Reader r) {
  return RegisterReply{Str(r.getWorkerId()), r.getHeartbeatIntervalMs(), r.getHeartbeatLiveness(),
                       ReadStrings(r.getKillAttempts())};
}

void Write(s::PlaceAttempt::Builder b, const PlaceAttempt& v) {
  b.setAttemptId(Text(v.attempt_id));
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  b.setFencingToken(v.fencing_token);
  b.setRank(v.rank);
  b.setWorldSize(v.world_size);
  auto gpus = b.initGpuIndices(static_cast<unsigned>(v.gpu_indices.size()));
  for (unsigned i = 0; i < v.gpu_indices.size(); ++i) gpus.set(i, v.gpu_indices[i]);
  b.setCpuSlots(v.cpu_slots);
  b.setMasterAddr(Text(v.master_addr));
  b.setMasterPort(v.master_port);
  b.setConfigYaml(Text(v.config_yaml));
  b.setResumeCheckpoint(Text(v.resume_checkpoint));
  WriteList(b.initEnv(static_cast<unsigned>(v.env.size())), v.env);
}
PlaceAttempt Read(s::PlaceAttempt::Reader r) {
  PlaceAttempt v;
  v.attempt_id = Str(r.getAttemptId());
  v.job_id = Str(r.getJobId());
  v.task_id = Str(r.getTaskId());
  v.fencing_token = r.getFencingToken();
  v.rank = r.getRank();
  v.world_size = r.getWorldSize();
  for (int32_t gpu : r.getGpuIndices()) v.gpu_indices.push_back(gpu);
  v.cpu_slots = r.getCpuSlots();
  v.master_addr = Str(r.getMasterAddr());
  v.master_port = r.getMasterPort();
  v.config_yaml = Str(r.getConfigYaml());
  v.resume_checkpoint = Str(r.getResumeCheckpoint());
  v.env = ReadList<Label>(r.getEnv());
  return v;
}

void Write(s::KillAttempt::Builder b, const KillAttempt& v) {
  b.setAttemptId(Text(v.attempt_id));
  b.setFencingToken(v.fencing_token);
  b.setReason(Text(v.reason));
  b.setGracePeriodMs(v.grace_period_ms);
  b.setCheckpointFirst(v.checkpoint_first);
}
KillAttempt Read(s::KillAttempt::Reader r) {
  return KillAttempt{Str(r.getAttemptId()), r.getFencingToken(), Str(r.getReason()), r.getGracePeriodMs(),
                     r.getCheckpointFirst()};
}

void Write(s::CheckpointRecord::Builder b, const CheckpointRecord& v) {
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  b.setAttemptId(Text(v.attempt_id));
  b.setPath(Text(v.path));
  b.setStep(v.step);
  b.setEpoch(v.epoch);
  b.setSizeBytes(v.size_bytes);
  b.setSha256(Text(v.sha256));
  b.setAtMillis(v.at_millis);
  b.setIsBest(v.is_best);
}
CheckpointRecord Read(s::CheckpointRecord::Reader r) {
  return CheckpointRecord{Str(r.getJobId()), Str(r.getTaskId()), Str(r.getAttemptId()), Str(r.getPath()),
                          r.getStep(),       r.getEpoch(),       r.getSizeBytes(),      Str(r.getSha256()),
                          r.getAtMillis(),   r.getIsBest()};
}

namespace {

struct AttemptEventWriter {
  s::AttemptStatus::Event::Builder b;
  void operator()(const AttemptStarted& v) {
    auto started = b.initStarted();
    started.setPid(v.pid);
    started.setStartedAtMillis(v.started_at_millis);
  }
  void operator()(const AttemptProgress& v) {
    auto progress = b.initProgress();
    progress.setStep(v.step);
    progress.setEpoch(v.epoch);
    progress.setAtMillis(v.at_millis);
    WriteList(progress.initMetrics(static_cast<unsigned>(v.metrics.size())), v.metrics);
  }
  void operator()(const CheckpointRecord& v) { Write(b.initCheckpoint(), v); }
  void operator()(const AttemptFinished& v) {
    auto finished = b.initFinished();
    finished.setExitCode(v.exit_code);
    finished.setTermSignal(v.term_signal);
    finished.setExitClass(ToSchema(v.exit_class));
    finished.setMessage(Text(v.message));
    finished.setAtMillis(v.at_millis);
  }
};

}  // namespace

void Write(s::AttemptStatus::Builder b, const AttemptStatus& v) {
  b.setAttemptId(Text(v.attempt_id));
  b.setFencingToken(v.fencing_token);
  std::visit(AttemptEventWriter{b.initEvent()}, v.event);
}

Result<AttemptStatus> Read(s::AttemptStatus::Reader r) {
  AttemptStatus v;
  v.attempt_id = Str(r.getAttemptId());
  v.fencing_token = r.getFencingToken();
  auto event = r.getEvent();
  switch (event.which()) {
    case s::AttemptStatus::Event::STARTED: {
      auto started = event.getStarted();
      v.event = AttemptStarted{started.getPid(), started.getStartedAtMillis()};
      return v;
    }
    case s::AttemptStatus::Event::PROGRESS: {
      auto progress = event.getProgress();
      v.event = AttemptProgress{progress.getStep(), progress.getEpoch(), progress.getAtMillis(),
                                ReadList<Metric>(progress.getMetrics())};
      return v;
    }
    case s::AttemptStatus::Event::CHECKPOINT:
      v.event = Read(event.getCheckpoint());
      return v;
    case s::AttemptStatus::Event::FINISHED: {
      auto finished = event.getFinished();
      v.event = AttemptFinished{finished.getExitCode(), finished.getTermSignal(),
                                FromSchema(finished.getExitClass()), Str(finished.getMessage()),
                                finished.getAtMillis()};
      return v;
    }
  }
  return UnimplementedError("attempt_status.event: kind #" + std::to_string(static_cast<int>(event.which())) +
                            " is not known to protocol version " + std::to_string(kProtocolVersion));
}

}  // namespace mdetr::wire::internal
