// Conversions between the generated Cap'n Proto types and the structs of messages.h. Private to
// common/wire: Write* fill a builder, Read* copy a reader into a struct. Read* may throw
// kj::Exception on malformed input; Decode() catches it at the boundary.
#pragma once

#include <string>
#include <vector>

#include <capnp/list.h>

#include "common/wire/mdetr.capnp.h"
#include "common/wire/messages.h"

namespace mdetr::wire::internal {

namespace s = ::mdetr::wire::schema;

inline kj::StringPtr Text(const std::string& value) { return kj::StringPtr(value.c_str(), value.size()); }
inline std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

// Lists of strings, used by many messages.
void WriteStrings(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& values);
std::vector<std::string> ReadStrings(capnp::List<capnp::Text>::Reader list);

// Shared pieces.
void Write(s::Label::Builder b, const Label& v);
Label Read(s::Label::Reader r);
void Write(s::Metric::Builder b, const Metric& v);
Metric Read(s::Metric::Reader r);
s::StatusCode ToSchema(StatusCode code);
StatusCode FromSchema(s::StatusCode code);
s::JobState ToSchema(JobState state);
JobState FromSchema(s::JobState state);
s::ExitClass ToSchema(ExitClass exit_class);
ExitClass FromSchema(s::ExitClass exit_class);

// Worker <-> coordinator (codec_worker.cc).
void Write(s::Heartbeat::Builder b, const Heartbeat& v);
Heartbeat Read(s::Heartbeat::Reader r);
void Write(s::Gpu::Builder b, const Gpu& v);
Gpu Read(s::Gpu::Reader r);
void Write(s::RunningAttempt::Builder b, const RunningAttempt& v);
RunningAttempt Read(s::RunningAttempt::Reader r);
void Write(s::RegisterWorker::Builder b, const RegisterWorker& v);
RegisterWorker Read(s::RegisterWorker::Reader r);
void Write(s::RegisterReply::Builder b, const RegisterReply& v);
RegisterReply Read(s::RegisterReply::Reader r);
void Write(s::PlaceAttempt::Builder b, const PlaceAttempt& v);
PlaceAttempt Read(s::PlaceAttempt::Reader r);
void Write(s::KillAttempt::Builder b, const KillAttempt& v);
KillAttempt Read(s::KillAttempt::Reader r);
void Write(s::CheckpointRecord::Builder b, const CheckpointRecord& v);
CheckpointRecord Read(s::CheckpointRecord::Reader r);
void Write(s::AttemptStatus::Builder b, const AttemptStatus& v);
Result<AttemptStatus> Read(s::AttemptStatus::Reader r);

// Client <-> coordinator (codec_client.cc).
void Write(s::SubmitJob::Builder b, const SubmitJob& v);
SubmitJob Read(s::SubmitJob::Reader r);
void Write(s::SweepAxis::Builder b, const SweepAxis& v);
SweepAxis Read(s::SweepAxis::Reader r);
void Write(s::RandomParam::Builder b, const RandomParam& v);
RandomParam Read(s::RandomParam::Reader r);
void Write(s::SubmitSweep::Builder b, const SubmitSweep& v);
SubmitSweep Read(s::SubmitSweep::Reader r);
void Write(s::SubmitReply::Builder b, const SubmitReply& v);
SubmitReply Read(s::SubmitReply::Reader r);
void Write(s::GetJobStatus::Builder b, const GetJobStatus& v);
GetJobStatus Read(s::GetJobStatus::Reader r);
void Write(s::JobSummary::Builder b, const JobSummary& v);
JobSummary Read(s::JobSummary::Reader r);
void Write(s::TaskSummary::Builder b, const TaskSummary& v);
TaskSummary Read(s::TaskSummary::Reader r);
void Write(s::JobStatusReply::Builder b, const JobStatusReply& v);
JobStatusReply Read(s::JobStatusReply::Reader r);
void Write(s::ListJobs::Builder b, const ListJobs& v);
ListJobs Read(s::ListJobs::Reader r);
void Write(s::ListJobsReply::Builder b, const ListJobsReply& v);
ListJobsReply Read(s::ListJobsReply::Reader r);
void Write(s::ListWorkers::Builder b, const ListWorkers& v);
ListWorkers Read(s::ListWorkers::Reader r);
void Write(s::WorkerSummary::Builder b, const WorkerSummary& v);
WorkerSummary Read(s::WorkerSummary::Reader r);
void Write(s::ListWorkersReply::Builder b, const ListWorkersReply& v);
ListWorkersReply Read(s::ListWorkersReply::Reader r);
void Write(s::CancelJob::Builder b, const CancelJob& v);
CancelJob Read(s::CancelJob::Reader r);
void Write(s::ResumeJob::Builder b, const ResumeJob& v);
ResumeJob Read(s::ResumeJob::Reader r);
void Write(s::GetLogs::Builder b, const GetLogs& v);
GetLogs Read(s::GetLogs::Reader r);
void Write(s::LogsReply::Builder b, const LogsReply& v);
LogsReply Read(s::LogsReply::Reader r);
void Write(s::GetMetrics::Builder b, const GetMetrics& v);
GetMetrics Read(s::GetMetrics::Reader r);
void Write(s::MetricPoint::Builder b, const MetricPoint& v);
MetricPoint Read(s::MetricPoint::Reader r);
void Write(s::MetricsReply::Builder b, const MetricsReply& v);
MetricsReply Read(s::MetricsReply::Reader r);
void Write(s::ListCheckpoints::Builder b, const ListCheckpoints& v);
ListCheckpoints Read(s::ListCheckpoints::Reader r);
void Write(s::CheckpointsReply::Builder b, const CheckpointsReply& v);
CheckpointsReply Read(s::CheckpointsReply::Reader r);
void Write(s::GetEvents::Builder b, const GetEvents& v);
GetEvents Read(s::GetEvents::Reader r);
void Write(s::Event::Builder b, const Event& v);
Event Read(s::Event::Reader r);
void Write(s::EventsReply::Builder b, const EventsReply& v);
EventsReply Read(s::EventsReply::Reader r);

// Lists of structs, from a builder already sized with init<Field>(n). Defined after every
// Write/Read overload so that name lookup finds them.
template <typename Item, typename ListBuilder>
void WriteList(ListBuilder list, const std::vector<Item>& items) {
  for (unsigned i = 0; i < items.size(); ++i) Write(list[i], items[i]);
}
template <typename Item, typename ListReader>
std::vector<Item> ReadList(ListReader list) {
  std::vector<Item> items;
  items.reserve(list.size());
  for (auto element : list) items.push_back(Read(element));
  return items;
}

}  // namespace mdetr::wire::internal
