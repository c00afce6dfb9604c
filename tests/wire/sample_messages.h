// One message of every kind, with every field set to a value other than its default, so that a
// field the codec forgets to write or read shows up as a difference after a round trip.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "common/wire/messages.h"

namespace mdetr::wire::testing {

inline CheckpointRecord SampleCheckpoint() {
  return CheckpointRecord{
      "job-20261125-1f3a9c", "task-0",      "attempt-3", "/ckpt/job/checkpoint0004.pth", 12000, 4, 1u << 30,
      "9f86d081884c7d65",    1764000000123, true};
}

inline JobSummary SampleJobSummary() {
  return JobSummary{"job-20261125-1f3a9c", "flickr-finetune", JobState::kRunning, 1764000000000, 8, 4, 3, 1,
                    "4 of 8 tasks running"};
}

inline std::vector<Body> OneOfEachKind() {
  std::vector<Body> bodies;
  bodies.push_back(ErrorReply{StatusCode::kNotFound, "job 'job-x' does not exist"});
  bodies.push_back(Ack{"cancelled"});
  bodies.push_back(Heartbeat{42, 1764000000999});
  bodies.push_back(RegisterWorker{"worker-7",
                                  "gpu-node-07",
                                  {Gpu{0, "GPU-1a2b", "NVIDIA H100 80GB HBM3", 85899345920ull},
                                   Gpu{1, "GPU-3c4d", "NVIDIA H100 80GB HBM3", 85899345920ull}},
                                  32,
                                  {Label{"zone", "eu-west"}, Label{"ib", "true"}},
                                  {RunningAttempt{"attempt-3", "job-1", "task-0", 1, 77, 4, 12345, 4242}},
                                  "0.1.0+abc123"});
  bodies.push_back(RegisterReply{"worker-7", 1000, 5, {"attempt-1", "attempt-2"}});
  bodies.push_back(PlaceAttempt{"attempt-4",
                                "job-1",
                                "task-0",
                                78,
                                1,
                                8,
                                {0, 1, 2, 3},
                                16,
                                "10.0.0.7",
                                29500,
                                "model:\n  backbone: resnet101\n",
                                "/ckpt/job-1/checkpoint.pth",
                                {Label{"NCCL_DEBUG", "WARN"}}});
  bodies.push_back(KillAttempt{"attempt-4", 78, "preempted by job-2", 120000, true});
  bodies.push_back(
      AttemptStatus{"attempt-4", 78, AttemptProgress{1500, 2, 1764000001000, {Metric{"loss", 1.25}}}});
  bodies.push_back(SubmitJob{"flickr-finetune",
                             "extends: models/mdetr_r101.yaml\n",
                             {"optim.lr=2e-4"},
                             10,
                             {Label{"team", "vision"}}});
  bodies.push_back(SubmitSweep{"lr-sweep",
                               "extends: a.yaml\n",
                               {"epochs=5"},
                               {SweepAxis{"optim.lr", {"1e-4", "2e-4"}}, SweepAxis{"seed", {"1", "2", "3"}}},
                               "grid",
                               6,
                               2,
                               5});
  bodies.push_back(SubmitReply{"sweep-20261125-aa11bb", {"trial-5e0c2a7b91d4", "trial-0123456789ab"}});
  bodies.push_back(GetJobStatus{"job-20261125-1f3a9c"});
  bodies.push_back(JobStatusReply{SampleJobSummary(),
                                  {TaskSummary{"task-0",
                                               JobState::kFailed,
                                               3,
                                               "attempt-3",
                                               {"worker-1", "worker-2"},
                                               9000,
                                               "/ckpt/checkpoint0004.pth",
                                               {Metric{"mAP", 0.532}}}}});
  bodies.push_back(ListJobs{{JobState::kRunning, JobState::kPaused}, 50, "page-2"});
  bodies.push_back(ListJobsReply{{SampleJobSummary()}, "page-3"});
  bodies.push_back(ListWorkers{true});
  bodies.push_back(ListWorkersReply{{WorkerSummary{
      "worker-7", "gpu-node-07", true, 8, 2, 32, {Label{"zone", "a"}}, {"attempt-4"}, 1764000002000}}});
  bodies.push_back(CancelJob{"job-1", "wrong learning rate"});
  bodies.push_back(ResumeJob{"job-1", "/ckpt/job-1/checkpoint0002.pth"});
  bodies.push_back(GetLogs{"job-1", "task-0", 3, 4096, 65536});
  bodies.push_back(LogsReply{std::string("epoch 1 loss 1.2\n\0\xff binary", 26), 8192, true});
  bodies.push_back(GetMetrics{"job-1", "task-0", {"loss", "mAP"}, 100});
  bodies.push_back(MetricsReply{{MetricPoint{"task-0", 200, 1764000003000, "loss", 0.75}}});
  bodies.push_back(ListCheckpoints{"job-1", "task-0"});
  bodies.push_back(CheckpointsReply{{SampleCheckpoint()}});
  bodies.push_back(GetEvents{"job-1", 17, 100});
  bodies.push_back(EventsReply{{Event{18, 1764000004000, "job-1", "task-0", "attempt-4", "attempt_failed",
                                      "exit code 1 (app error)"}}});
  return bodies;
}

}  // namespace mdetr::wire::testing
