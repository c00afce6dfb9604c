#include "common/wire/codec.h"

#include <cstring>
#include <exception>
#include <variant>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include "common/wire/codec_internal.h"

namespace mdetr::wire {
namespace internal {

void WriteStrings(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& values) {
  for (unsigned i = 0; i < values.size(); ++i) list.set(i, Text(values[i]));
}
std::vector<std::string> ReadStrings(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> values;
  values.reserve(list.size());
  for (auto text : list) values.push_back(Str(text));
  return values;
}

void Write(s::Label::Builder b, const Label& v) {
  b.setKey(Text(v.key));
  b.setValue(Text(v.value));
}
Label Read(s::Label::Reader r) { return Label{Str(r.getKey()), Str(r.getValue())}; }

void Write(s::Metric::Builder b, const Metric& v) {
  b.setName(Text(v.name));
  b.setValue(v.value);
}
Metric Read(s::Metric::Reader r) { return Metric{Str(r.getName()), r.getValue()}; }

// The schema enums list the same values in the same order as ours; a value from a newer peer
// that we do not know maps to the "unknown" member instead of an out-of-range enum.
s::StatusCode ToSchema(StatusCode code) { return static_cast<s::StatusCode>(static_cast<uint16_t>(code)); }
StatusCode FromSchema(s::StatusCode code) {
  const auto raw = static_cast<uint16_t>(code);
  return raw <= static_cast<uint16_t>(StatusCode::kInternal) ? static_cast<StatusCode>(raw)
                                                             : StatusCode::kInternal;
}
s::JobState ToSchema(JobState state) { return static_cast<s::JobState>(static_cast<uint16_t>(state)); }
JobState FromSchema(s::JobState state) {
  const auto raw = static_cast<uint16_t>(state);
  return raw <= static_cast<uint16_t>(JobState::kPaused) ? static_cast<JobState>(raw) : JobState::kUnknown;
}
s::ExitClass ToSchema(ExitClass exit_class) {
  return static_cast<s::ExitClass>(static_cast<uint16_t>(exit_class));
}
ExitClass FromSchema(s::ExitClass exit_class) {
  const auto raw = static_cast<uint16_t>(exit_class);
  return raw <= static_cast<uint16_t>(ExitClass::kLost) ? static_cast<ExitClass>(raw) : ExitClass::kUnknown;
}

static_assert(static_cast<uint16_t>(s::StatusCode::INTERNAL) == static_cast<uint16_t>(StatusCode::kInternal));
static_assert(static_cast<uint16_t>(s::JobState::PAUSED) == static_cast<uint16_t>(JobState::kPaused));
static_assert(static_cast<uint16_t>(s::ExitClass::LOST) == static_cast<uint16_t>(ExitClass::kLost));

namespace {

struct BodyWriter {
  s::Envelope::Body::Builder b;
  void operator()(const ErrorReply& v) {
    auto error = b.initError();
    error.setCode(ToSchema(v.code));
    error.setMessage(Text(v.message));
  }
  void operator()(const Ack& v) { b.initAck().setMessage(Text(v.message)); }
  void operator()(const Heartbeat& v) { Write(b.initHeartbeat(), v); }
  void operator()(const RegisterWorker& v) { Write(b.initRegisterWorker(), v); }
  void operator()(const RegisterReply& v) { Write(b.initRegisterReply(), v); }
  void operator()(const PlaceAttempt& v) { Write(b.initPlaceAttempt(), v); }
  void operator()(const KillAttempt& v) { Write(b.initKillAttempt(), v); }
  void operator()(const AttemptStatus& v) { Write(b.initAttemptStatus(), v); }
  void operator()(const SubmitJob& v) { Write(b.initSubmitJob(), v); }
  void operator()(const SubmitSweep& v) { Write(b.initSubmitSweep(), v); }
  void operator()(const SubmitReply& v) { Write(b.initSubmitReply(), v); }
  void operator()(const GetJobStatus& v) { Write(b.initGetJobStatus(), v); }
  void operator()(const JobStatusReply& v) { Write(b.initJobStatusReply(), v); }
  void operator()(const ListJobs& v) { Write(b.initListJobs(), v); }
  void operator()(const ListJobsReply& v) { Write(b.initListJobsReply(), v); }
  void operator()(const ListWorkers& v) { Write(b.initListWorkers(), v); }
  void operator()(const ListWorkersReply& v) { Write(b.initListWorkersReply(), v); }
  void operator()(const CancelJob& v) { Write(b.initCancelJob(), v); }
  void operator()(const ResumeJob& v) { Write(b.initResumeJob(), v); }
  void operator()(const GetLogs& v) { Write(b.initGetLogs(), v); }
  void operator()(const LogsReply& v) { Write(b.initLogsReply(), v); }
  void operator()(const GetMetrics& v) { Write(b.initGetMetrics(), v); }
  void operator()(const MetricsReply& v) { Write(b.initMetricsReply(), v); }
  void operator()(const ListCheckpoints& v) { Write(b.initListCheckpoints(), v); }
  void operator()(const CheckpointsReply& v) { Write(b.initCheckpointsReply(), v); }
  void operator()(const GetEvents& v) { Write(b.initGetEvents(), v); }
  void operator()(const EventsReply& v) { Write(b.initEventsReply(), v); }
};

Result<Body> ReadBody(s::Envelope::Body::Reader body) {
  using B = s::Envelope::Body;
  switch (body.which()) {
    case B::ERROR: {
      auto error = body.getError();
      return Body(ErrorReply{FromSchema(error.getCode()), Str(error.getMessage())});
    }
    case B::ACK:
      return Body(Ack{Str(body.getAck().getMessage())});
    case B::HEARTBEAT:
      return Body(Read(body.getHeartbeat()));
    case B::REGISTER_WORKER:
      return Body(Read(body.getRegisterWorker()));
    case B::REGISTER_REPLY:
      return Body(Read(body.getRegisterReply()));
    case B::PLACE_ATTEMPT:
      return Body(Read(body.getPlaceAttempt()));
    case B::KILL_ATTEMPT:
      return Body(Read(body.getKillAttempt()));
    case B::ATTEMPT_STATUS: {
      MDETR_ASSIGN_OR_RETURN(AttemptStatus status, Read(body.getAttemptStatus()));
      return Body(std::move(status));
    }
    case B::SUBMIT_JOB:
      return Body(Read(body.getSubmitJob()));
    case B::SUBMIT_SWEEP:
      return Body(Read(body.getSubmitSweep()));
    case B::SUBMIT_REPLY:
      return Body(Read(body.getSubmitReply()));
    case B::GET_JOB_STATUS:
      return Body(Read(body.getGetJobStatus()));
    case B::JOB_STATUS_REPLY:
      return Body(Read(body.getJobStatusReply()));
    case B::LIST_JOBS:
      return Body(Read(body.getListJobs()));
    case B::LIST_JOBS_REPLY:
      return Body(Read(body.getListJobsReply()));
    case B::LIST_WORKERS:
      return Body(Read(body.getListWorkers()));
    case B::LIST_WORKERS_REPLY:
      return Body(Read(body.getListWorkersReply()));
    case B::CANCEL_JOB:
      return Body(Read(body.getCancelJob()));
    case B::RESUME_JOB:
      return Body(Read(body.getResumeJob()));
    case B::GET_LOGS:
      return Body(Read(body.getGetLogs()));
    case B::LOGS_REPLY:
      return Body(Read(body.getLogsReply()));
    case B::GET_METRICS:
      return Body(Read(body.getGetMetrics()));
    case B::METRICS_REPLY:
      return Body(Read(body.getMetricsReply()));
    case B::LIST_CHECKPOINTS:
      return Body(Read(body.getListCheckpoints()));
    case B::CHECKPOINTS_REPLY:
      return Body(Read(body.getCheckpointsReply()));
    case B::GET_EVENTS:
      return Body(Read(body.getGetEvents()));
    case B::EVENTS_REPLY:
      return Body(Read(body.getEventsReply()));
  }
  return UnimplementedError("message kind #" + std::to_string(static_cast<int>(body.which())) +
                            " is not known to protocol version " + std::to_string(kProtocolVersion) +
                            " (the peer runs a newer build)");
}

}  // namespace
}  // namespace internal

namespace {

constexpr const char* kKindNames[] = {"error",
                                      "ack",
                                      "heartbeat",
                                      "register_worker",
                                      "register_reply",
                                      "place_attempt",
                                      "kill_attempt",
                                      "attempt_status",
                                      "submit_job",
                                      "submit_sweep",
                                      "submit_reply",
                                      "get_job_status",
                                      "job_status_reply",
                                      "list_jobs",
                                      "list_jobs_reply",
                                      "list_workers",
                                      "list_workers_reply",
                                      "cancel_job",
                                      "resume_job",
                                      "get_logs",
                                      "logs_reply",
                                      "get_metrics",
                                      "metrics_reply",
                                      "list_checkpoints",
                                      "checkpoints_reply",
                                      "get_events",
                                      "events_reply"};
static_assert(sizeof(kKindNames) / sizeof(kKindNames[0]) == std::variant_size_v<Body>,
              "one name per message kind");

Result<Envelope> DecodeUnchecked(std::string_view frame, const DecodeLimits& limits) {
  // ZeroMQ frames carry no alignment guarantee; Cap'n Proto reads whole words in place.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(frame.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), frame.data(), frame.size());

  capnp::ReaderOptions options;
  options.traversalLimitInWords = limits.traversal_limit_words;
  options.nestingLimit = limits.nesting_limit;
  capnp::FlatArrayMessageReader reader(words.asPtr(), options);
  if (reader.getEnd() != words.end()) {
    const size_t trailing = static_cast<size_t>(words.end() - reader.getEnd()) * sizeof(capnp::word);
    return InvalidArgumentError(std::to_string(trailing) + " bytes of garbage after the message");
  }
  auto root = reader.getRoot<internal::s::Envelope>();

  Envelope envelope;
  envelope.version = root.getVersion();
  envelope.request_id = root.getRequestId();
  envelope.sender = internal::Str(root.getSender());
  if (envelope.version < kMinProtocolVersion) {
    return FailedPreconditionError("peer '" + envelope.sender + "' speaks protocol version " +
                                   std::to_string(envelope.version) + "; this build needs at least " +
                                   std::to_string(kMinProtocolVersion));
  }
  MDETR_ASSIGN_OR_RETURN(envelope.body, internal::ReadBody(root.getBody()));
  return envelope;
}

}  // namespace

const char* MessageKindName(const Body& body) { return kKindNames[body.index()]; }

ErrorReply ErrorFromStatus(const Status& status) {
  if (status.ok()) return ErrorReply{StatusCode::kInternal, "error reply built from an OK status"};
  return ErrorReply{status.code(), status.message()};
}

Status StatusFromError(const ErrorReply& error) {
  if (error.code == StatusCode::kOk)
    return InternalError("peer sent an error reply with code OK: " + error.message);
  return Status(error.code, error.message);
}

Result<std::string> Encode(const Envelope& envelope) {
  try {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<internal::s::Envelope>();
    root.setVersion(envelope.version);
    root.setRequestId(envelope.request_id);
    root.setSender(internal::Text(envelope.sender));
    std::visit(internal::BodyWriter{root.initBody()}, envelope.body);
    kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
    kj::ArrayPtr<const char> bytes = words.asChars();
    return std::string(bytes.begin(), bytes.size());
  } catch (const kj::Exception& e) {
    return InvalidArgumentError(std::string("cannot encode ") + MessageKindName(envelope.body) + ": " +
                                e.getDescription().cStr());
  }
}

Result<Envelope> Decode(std::string_view frame, const DecodeLimits& limits) {
  if (frame.empty()) return InvalidArgumentError("empty frame");
  if (frame.size() > limits.max_frame_bytes) {
    return InvalidArgumentError("frame of " + std::to_string(frame.size()) + " bytes exceeds the limit of " +
                                std::to_string(limits.max_frame_bytes) + " bytes");
  }
  if (frame.size() % sizeof(capnp::word) != 0) {
    return InvalidArgumentError("frame of " + std::to_string(frame.size()) +
                                " bytes is not a whole number of 8-byte words (truncated?)");
  }
  try {
    return DecodeUnchecked(frame, limits);
  } catch (const kj::Exception& e) {
    return InvalidArgumentError(std::string("malformed message: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("malformed message: ") + e.what());
  }
}

}  // namespace mdetr::wire
