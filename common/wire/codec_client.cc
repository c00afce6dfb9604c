// Conversions for the client (CLI) <-> coordinator messages.
#include <string>

#include "common/wire/codec_internal.h"

namespace mdetr::wire::internal {

namespace {
unsigned Size(size_t n) { return static_cast<unsigned>(n); }
}  // namespace

void Write(s::SubmitJob::Builder b, const SubmitJob& v) {
  b.setName(Text(v.name));
  b.setConfigYaml(Text(v.config_yaml));
  WriteStrings(b.initOverrides(Size(v.overrides.size())), v.overrides);
  b.setPriority(v.priority);
  WriteList(b.initLabels(Size(v.labels.size())), v.labels);
}
SubmitJob Read(s::SubmitJob::Reader r) {
  return SubmitJob{Str(r.getName()), Str(r.getConfigYaml()), ReadStrings(r.getOverrides()), r.getPriority(),
                   ReadList<Label>(r.getLabels())};
}

void Write(s::SweepAxis::Builder b, const SweepAxis& v) {
  b.setKey(Text(v.key));
  WriteStrings(b.initValues(Size(v.values.size())), v.values);
}
SweepAxis Read(s::SweepAxis::Reader r) { return SweepAxis{Str(r.getKey()), ReadStrings(r.getValues())}; }

void Write(s::RandomParam::Builder b, const RandomParam& v) {
  b.setKey(Text(v.key));
  b.setDistribution(Text(v.distribution));
  b.setLow(v.low);
  b.setHigh(v.high);
  WriteStrings(b.initChoices(Size(v.choices.size())), v.choices);
}
RandomParam Read(s::RandomParam::Reader r) {
  return RandomParam{Str(r.getKey()), Str(r.getDistribution()), r.getLow(), r.getHigh(), ReadStrings(r.getChoices())};
}

void Write(s::SubmitSweep::Builder b, const SubmitSweep& v) {
  b.setName(Text(v.name));
  b.setConfigYaml(Text(v.config_yaml));
  WriteStrings(b.initOverrides(Size(v.overrides.size())), v.overrides);
  WriteList(b.initAxes(Size(v.axes.size())), v.axes);
  b.setSearch(Text(v.search));
  b.setMaxTrials(v.max_trials);
  b.setMaxConcurrent(v.max_concurrent);
  b.setPriority(v.priority);
  b.setRandomSamples(v.random_samples);
  b.setRandomSeed(v.random_seed);
  WriteList(b.initRandomSpace(Size(v.random_space.size())), v.random_space);
}
SubmitSweep Read(s::SubmitSweep::Reader r) {
  return SubmitSweep{Str(r.getName()),
                     Str(r.getConfigYaml()),
                     ReadStrings(r.getOverrides()),
                     ReadList<SweepAxis>(r.getAxes()),
                     Str(r.getSearch()),
                     r.getMaxTrials(),
                     r.getMaxConcurrent(),
                     r.getPriority(),
                     r.getRandomSamples(),
                     r.getRandomSeed(),
                     ReadList<RandomParam>(r.getRandomSpace())};
}

void Write(s::SubmitReply::Builder b, const SubmitReply& v) {
  b.setJobId(Text(v.job_id));
  WriteStrings(b.initTrialIds(Size(v.trial_ids.size())), v.trial_ids);
}
SubmitReply Read(s::SubmitReply::Reader r) {
  return SubmitReply{Str(r.getJobId()), ReadStrings(r.getTrialIds())};
}

void Write(s::GetJobStatus::Builder b, const GetJobStatus& v) { b.setJobId(Text(v.job_id)); }
GetJobStatus Read(s::GetJobStatus::Reader r) { return GetJobStatus{Str(r.getJobId())}; }

void Write(s::JobSummary::Builder b, const JobSummary& v) {
  b.setJobId(Text(v.job_id));
  b.setName(Text(v.name));
  b.setState(ToSchema(v.state));
  b.setCreatedAtMillis(v.created_at_millis);
  b.setTasksTotal(v.tasks_total);
  b.setTasksRunning(v.tasks_running);
  b.setTasksDone(v.tasks_done);
  b.setTasksFailed(v.tasks_failed);
  b.setMessage(Text(v.message));
}
JobSummary Read(s::JobSummary::Reader r) {
  return JobSummary{Str(r.getJobId()),      Str(r.getName()),   FromSchema(r.getState()),
                    r.getCreatedAtMillis(), r.getTasksTotal(),  r.getTasksRunning(),
                    r.getTasksDone(),       r.getTasksFailed(), Str(r.getMessage())};
}

void Write(s::TaskSummary::Builder b, const TaskSummary& v) {
  b.setTaskId(Text(v.task_id));
  b.setState(ToSchema(v.state));
  b.setAttempts(v.attempts);
  b.setCurrentAttemptId(Text(v.current_attempt_id));
  WriteStrings(b.initWorkers(Size(v.workers.size())), v.workers);
  b.setLastStep(v.last_step);
  b.setLastCheckpoint(Text(v.last_checkpoint));
  WriteList(b.initMetrics(Size(v.metrics.size())), v.metrics);
}
TaskSummary Read(s::TaskSummary::Reader r) {
  return TaskSummary{Str(r.getTaskId()),           FromSchema(r.getState()),        r.getAttempts(),
                     Str(r.getCurrentAttemptId()), ReadStrings(r.getWorkers()),     r.getLastStep(),
                     Str(r.getLastCheckpoint()),   ReadList<Metric>(r.getMetrics())};
}

void Write(s::JobStatusReply::Builder b, const JobStatusReply& v) {
  Write(b.initJob(), v.job);
  WriteList(b.initTasks(Size(v.tasks.size())), v.tasks);
}
JobStatusReply Read(s::JobStatusReply::Reader r) {
  return JobStatusReply{Read(r.getJob()), ReadList<TaskSummary>(r.getTasks())};
}

void Write(s::ListJobs::Builder b, const ListJobs& v) {
  auto states = b.initStates(Size(v.states.size()));
  for (unsigned i = 0; i < v.states.size(); ++i) states.set(i, ToSchema(v.states[i]));
  b.setLimit(v.limit);
  b.setPageToken(Text(v.page_token));
}
ListJobs Read(s::ListJobs::Reader r) {
  ListJobs v;
  for (s::JobState state : r.getStates()) v.states.push_back(FromSchema(state));
  v.limit = r.getLimit();
  v.page_token = Str(r.getPageToken());
  return v;
}

void Write(s::ListJobsReply::Builder b, const ListJobsReply& v) {
  WriteList(b.initJobs(Size(v.jobs.size())), v.jobs);
  b.setNextPageToken(Text(v.next_page_token));
}
ListJobsReply Read(s::ListJobsReply::Reader r) {
  return ListJobsReply{ReadList<JobSummary>(r.getJobs()), Str(r.getNextPageToken())};
}

void Write(s::ListWorkers::Builder b, const ListWorkers& v) { b.setIncludeDead(v.include_dead); }
ListWorkers Read(s::ListWorkers::Reader r) { return ListWorkers{r.getIncludeDead()}; }

void Write(s::WorkerSummary::Builder b, const WorkerSummary& v) {
  b.setWorkerId(Text(v.worker_id));
  b.setHostname(Text(v.hostname));
  b.setAlive(v.alive);
  b.setGpusTotal(v.gpus_total);
  b.setGpusFree(v.gpus_free);
  b.setCpuSlots(v.cpu_slots);
  WriteList(b.initLabels(Size(v.labels.size())), v.labels);
  WriteStrings(b.initRunningAttempts(Size(v.running_attempts.size())), v.running_attempts);
  b.setLastHeartbeatMillis(v.last_heartbeat_millis);
}
WorkerSummary Read(s::WorkerSummary::Reader r) {
  return WorkerSummary{Str(r.getWorkerId()),
                       Str(r.getHostname()),
                       r.getAlive(),
                       r.getGpusTotal(),
                       r.getGpusFree(),
                       r.getCpuSlots(),
                       ReadList<Label>(r.getLabels()),
                       ReadStrings(r.getRunningAttempts()),
                       r.getLastHeartbeatMillis()};
}

void Write(s::ListWorkersReply::Builder b, const ListWorkersReply& v) {
  WriteList(b.initWorkers(Size(v.workers.size())), v.workers);
}
ListWorkersReply Read(s::ListWorkersReply::Reader r) {
  return ListWorkersReply{ReadList<WorkerSummary>(r.getWorkers())};
}

void Write(s::CancelJob::Builder b, const CancelJob& v) {
  b.setJobId(Text(v.job_id));
  b.setReason(Text(v.reason));
}
CancelJob Read(s::CancelJob::Reader r) { return CancelJob{Str(r.getJobId()), Str(r.getReason())}; }

void Write(s::ResumeJob::Builder b, const ResumeJob& v) {
  b.setJobId(Text(v.job_id));
  b.setFromCheckpoint(Text(v.from_checkpoint));
}
ResumeJob Read(s::ResumeJob::Reader r) { return ResumeJob{Str(r.getJobId()), Str(r.getFromCheckpoint())}; }

void Write(s::GetLogs::Builder b, const GetLogs& v) {
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  b.setRank(v.rank);
  b.setOffset(v.offset);
  b.setMaxBytes(v.max_bytes);
}
GetLogs Read(s::GetLogs::Reader r) {
  return GetLogs{Str(r.getJobId()), Str(r.getTaskId()), r.getRank(), r.getOffset(), r.getMaxBytes()};
}

void Write(s::LogsReply::Builder b, const LogsReply& v) {
  b.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(v.data.data()), v.data.size()));
  b.setNextOffset(v.next_offset);
  b.setEndOfStream(v.end_of_stream);
}
LogsReply Read(s::LogsReply::Reader r) {
  auto data = r.getData();
  return LogsReply{std::string(reinterpret_cast<const char*>(data.begin()), data.size()), r.getNextOffset(),
                   r.getEndOfStream()};
}

void Write(s::GetMetrics::Builder b, const GetMetrics& v) {
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  WriteStrings(b.initNames(Size(v.names.size())), v.names);
  b.setSinceStep(v.since_step);
}
GetMetrics Read(s::GetMetrics::Reader r) {
  return GetMetrics{Str(r.getJobId()), Str(r.getTaskId()), ReadStrings(r.getNames()), r.getSinceStep()};
}

void Write(s::MetricPoint::Builder b, const MetricPoint& v) {
  b.setTaskId(Text(v.task_id));
  b.setStep(v.step);
  b.setAtMillis(v.at_millis);
  b.setName(Text(v.name));
  b.setValue(v.value);
}
MetricPoint Read(s::MetricPoint::Reader r) {
  return MetricPoint{Str(r.getTaskId()), r.getStep(), r.getAtMillis(), Str(r.getName()), r.getValue()};
}

void Write(s::MetricsReply::Builder b, const MetricsReply& v) {
  WriteList(b.initPoints(Size(v.points.size())), v.points);
}
MetricsReply Read(s::MetricsReply::Reader r) { return MetricsReply{ReadList<MetricPoint>(r.getPoints())}; }

void Write(s::ListCheckpoints::Builder b, const ListCheckpoints& v) {
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
}
ListCheckpoints Read(s::ListCheckpoints::Reader r) {
  return ListCheckpoints{Str(r.getJobId()), Str(r.getTaskId())};
}

void Write(s::CheckpointsReply::Builder b, const CheckpointsReply& v) {
  WriteList(b.initCheckpoints(Size(v.checkpoints.size())), v.checkpoints);
}
CheckpointsReply Read(s::CheckpointsReply::Reader r) {
  return CheckpointsReply{ReadList<CheckpointRecord>(r.getCheckpoints())};
}

void Write(s::GetEvents::Builder b, const GetEvents& v) {
  b.setJobId(Text(v.job_id));
  b.setAfterSeq(v.after_seq);
  b.setLimit(v.limit);
}
GetEvents Read(s::GetEvents::Reader r) { return GetEvents{Str(r.getJobId()), r.getAfterSeq(), r.getLimit()}; }

void Write(s::Event::Builder b, const Event& v) {
  b.setSeq(v.seq);
  b.setAtMillis(v.at_millis);
  b.setJobId(Text(v.job_id));
  b.setTaskId(Text(v.task_id));
  b.setAttemptId(Text(v.attempt_id));
  b.setKind(Text(v.kind));
  b.setMessage(Text(v.message));
}
Event Read(s::Event::Reader r) {
  return Event{r.getSeq(),         r.getAtMillis(),       Str(r.getJobId()),
               Str(r.getTaskId()), Str(r.getAttemptId()), Str(r.getKind()),
               Str(r.getMessage())};
}

void Write(s::EventsReply::Builder b, const EventsReply& v) {
  WriteList(b.initEvents(Size(v.events.size())), v.events);
}
EventsReply Read(s::EventsReply::Reader r) { return EventsReply{ReadList<Event>(r.getEvents())}; }

}  // namespace mdetr::wire::internal
