// Worker loss, stale reports, retry budgets, quarantine, cancellation and idempotent submission.
#include <gtest/gtest.h>

#include "tests/coordinator/scheduler_test_util.h"

namespace mdetr::scheduler {
namespace {

using testing::Describe;
using testing::Gang;
using testing::GpusPerWorker;
using testing::Only;
using testing::SchedulerHarness;

TEST(SchedulerFailureTest, LostWorkerTearsDownTheWholeGangAndRequeuesIt) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  h.AddWorker("w3", 8);
  const PlaceTask first = h.SubmitPlaced(Gang("gang", 2, 8));
  const auto split = GpusPerWorker(first);
  ASSERT_EQ(split.size(), 2u);
  const std::string lost = split.begin()->first;
  const std::string survivor = std::next(split.begin())->first;

  const std::vector<Action> actions = h.Send(WorkerLost{lost});
  const std::vector<KillAttempt> kills = Only<KillAttempt>(actions);
  ASSERT_EQ(kills.size(), 1u) << Describe(actions);
  EXPECT_EQ(kills[0].attempt, first.attempt);
  EXPECT_EQ(kills[0].workers, std::vector<WorkerId>{survivor});  // the lost one cannot be reached
  const std::vector<RequeueTask> requeued = Only<RequeueTask>(actions);
  ASSERT_EQ(requeued.size(), 1u);
  EXPECT_EQ(requeued[0].cause, FailureKind::kInfrastructure);
  EXPECT_EQ(requeued[0].retries_left, RetryBudget{}.infrastructure - 1);
  // Two whole workers remain, so a new attempt starts at once, without the lost worker.
  const std::vector<PlaceTask> again = Only<PlaceTask>(actions);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GT(again[0].attempt, first.attempt);
  EXPECT_EQ(GpusPerWorker(again[0]).count(lost), 0u);
  // Kill before place, so the survivor's GPUs are free when the new ranks arrive.
  EXPECT_TRUE(std::holds_alternative<KillAttempt>(actions.front()));
}

TEST(SchedulerFailureTest, OneFailedRankKillsTheRestOfItsGangBeforeTheRetry) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask first = h.SubmitPlaced(Gang("gang", 2, 8));
  ASSERT_EQ(GpusPerWorker(first).size(), 2u);
  const std::vector<Action> actions = h.Finish(first, Outcome::kInfrastructure);
  const std::vector<KillAttempt> kills = Only<KillAttempt>(actions);
  ASSERT_EQ(kills.size(), 1u) << Describe(actions);
  EXPECT_EQ(kills[0].attempt, first.attempt);
  EXPECT_EQ(kills[0].workers.size(), 2u);  // ranks still running anywhere in the gang
  ASSERT_EQ(Only<PlaceTask>(actions).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<KillAttempt>(actions.front()));

  // A single-rank attempt has nothing left to kill.
  h.AddWorker("w3", 8);
  const PlaceTask solo = h.SubmitPlaced(Gang("solo", 1, 8));
  EXPECT_TRUE(Only<KillAttempt>(h.Finish(solo, Outcome::kUserError)).empty());
}

TEST(SchedulerFailureTest, ReportsOfOldAttemptsAreFenced) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask first = h.SubmitPlaced(Gang("task-1", 1, 8));
  const std::vector<PlaceTask> again = Only<PlaceTask>(h.Finish(first, Outcome::kPreempted));
  ASSERT_EQ(again.size(), 1u);
  // The old attempt reports late, as success and as failure: neither ends the new attempt.
  EXPECT_TRUE(h.Finish(first).empty());
  EXPECT_TRUE(h.Finish(first, Outcome::kUserError).empty());
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kRunning);
  EXPECT_EQ(h.scheduler.FindTask("task-1")->attempt, again[0].attempt);
  EXPECT_EQ(h.scheduler.FindWorker("w1")->free_gpus, 0);  // its GPUs are still held
  // The current attempt's report counts, once.
  h.Finish(again[0]);
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kSucceeded);
  EXPECT_TRUE(h.Finish(again[0], Outcome::kUserError).empty());
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kSucceeded);
}

TEST(SchedulerFailureTest, EachKindOfFailureHasItsOwnBudget) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  TaskSpec spec = Gang("task-1", 1, 1);
  spec.retries = RetryBudget{2, 1, 0};
  PlaceTask attempt = h.SubmitPlaced(spec);
  auto fail = [&](Outcome outcome) {
    std::vector<Action> actions = h.Finish(attempt, outcome);
    std::vector<PlaceTask> next = Only<PlaceTask>(actions);
    if (!next.empty()) attempt = next[0];
    return actions;
  };
  // Two preemptions and one infrastructure failure are all within budget.
  EXPECT_EQ(Only<RequeueTask>(fail(Outcome::kPreempted)).at(0).retries_left, 1);
  EXPECT_EQ(Only<RequeueTask>(fail(Outcome::kInfrastructure)).at(0).retries_left, 0);
  EXPECT_EQ(Only<RequeueTask>(fail(Outcome::kPreempted)).at(0).retries_left, 0);
  // A user error has a budget of zero retries: the task fails, the other budgets do not matter.
  const std::vector<FailTask> failed = Only<FailTask>(fail(Outcome::kUserError));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].cause, FailureKind::kUserError);
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kFailed);
  const TaskRecord* record = h.scheduler.FindTask("task-1");
  EXPECT_EQ(record->preempted_failures, 2);
  EXPECT_EQ(record->infrastructure_failures, 1);
  EXPECT_EQ(record->user_failures, 1);
  EXPECT_EQ(h.scheduler.FindWorker("w1")->free_gpus, 8);
}

TEST(SchedulerFailureTest, ExhaustedInfrastructureBudgetFailsTheTask) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  TaskSpec spec = Gang("task-1", 1, 1);
  spec.retries.infrastructure = 1;
  const PlaceTask a1 = h.SubmitPlaced(spec);
  const PlaceTask a2 = Only<PlaceTask>(h.Finish(a1, Outcome::kInfrastructure)).at(0);
  const std::vector<Action> actions = h.Finish(a2, Outcome::kInfrastructure);
  ASSERT_EQ(Only<FailTask>(actions).size(), 1u) << Describe(actions);
  EXPECT_NE(Only<FailTask>(actions)[0].reason.find("retry budget 1 spent"), std::string::npos);
  EXPECT_TRUE(Only<PlaceTask>(actions).empty());
}

TEST(SchedulerFailureTest, WorkerThatKeepsFailingIsQuarantinedUntilReleased) {
  SchedulerConfig config;
  config.quarantine_after_failures = 2;
  SchedulerHarness h(config);
  h.AddWorker("bad", 8);
  h.AddWorker("good", 4);
  TaskSpec spec = Gang("task-1", 1, 8);  // only `bad` can hold it
  spec.retries.infrastructure = 10;
  PlaceTask a = h.SubmitPlaced(spec);
  a = Only<PlaceTask>(h.Finish(a, Outcome::kInfrastructure, "bad")).at(0);
  const std::vector<Action> second = h.Finish(a, Outcome::kInfrastructure, "bad");
  const std::vector<QuarantineWorker> quarantined = Only<QuarantineWorker>(second);
  ASSERT_EQ(quarantined.size(), 1u) << Describe(second);
  EXPECT_EQ(quarantined[0].worker, "bad");
  EXPECT_TRUE(Only<PlaceTask>(second).empty()) << "placed on a quarantined worker: " << Describe(second);
  EXPECT_EQ(h.scheduler.FindWorker("bad")->state, WorkerState::kQuarantined);
  // Small tasks go to the healthy worker only.
  EXPECT_EQ(h.SubmitPlaced(Gang("small", 1, 1)).ranks[0].worker, "good");
  // Released after a health check: the waiting task runs there again.
  const std::vector<PlaceTask> back = Only<PlaceTask>(h.Send(WorkerRelease{"bad"}));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].task, "task-1");
}

TEST(SchedulerFailureTest, QuarantineSurvivesLossAndRestart) {
  SchedulerConfig config;
  config.quarantine_after_failures = 1;
  SchedulerHarness h(config);
  h.AddWorker("bad", 8);
  h.AddWorker("good", 8);
  TaskSpec spec = Gang("task-1", 1, 8);
  spec.retries.infrastructure = 0;
  const PlaceTask first = h.SubmitPlaced(spec);
  EXPECT_EQ(Only<QuarantineWorker>(h.Finish(first, Outcome::kInfrastructure, first.ranks[0].worker)).size(),
            1u);
  const std::string bad = first.ranks[0].worker;
  // Lost and back, then restarted: still quarantined, and the coordinator is told again.
  h.Send(WorkerLost{bad});
  std::vector<Action> actions = h.Send(WorkerJoined{WorkerSpec{bad, 8, 0, {}, 2}});
  EXPECT_EQ(Only<QuarantineWorker>(actions).size(), 1u) << Describe(actions);
  EXPECT_TRUE(h.Send(WorkerJoined{WorkerSpec{bad, 8, 0, {}, 3}}).empty());
  EXPECT_EQ(h.scheduler.FindWorker(bad)->state, WorkerState::kQuarantined);
  // Only a release lets it take ranks again.
  h.SubmitPlaced(Gang("task-2", 1, 8));  // the good worker
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("task-3", 1, 8))).empty());
  EXPECT_EQ(Only<PlaceTask>(h.Send(WorkerRelease{bad})).at(0).ranks[0].worker, bad);
}

TEST(SchedulerFailureTest, QuarantineCountsOnlyConsecutiveInfrastructureFailures) {
  SchedulerConfig config;
  config.quarantine_after_failures = 2;
  SchedulerHarness h(config);
  h.AddWorker("w1", 8);
  auto run = [&](const std::string& id, Outcome outcome) {
    TaskSpec spec = Gang(id, 1, 8);
    spec.retries = RetryBudget{0, 0, 0};
    return h.Finish(h.SubmitPlaced(spec), outcome);
  };
  run("a1x", Outcome::kInfrastructure);
  run("a2x", Outcome::kSucceeded);  // resets the count
  run("a3x", Outcome::kInfrastructure);
  run("a4x", Outcome::kUserError);  // the task's fault, not the worker's
  run("a5x", Outcome::kPreempted);  // neither
  EXPECT_EQ(h.scheduler.FindWorker("w1")->state, WorkerState::kAlive);
  EXPECT_EQ(Only<QuarantineWorker>(run("a6x", Outcome::kInfrastructure)).size(), 1u);
}

TEST(SchedulerFailureTest, SameSubmissionTwiceIsPlacedOnce) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask place = h.SubmitPlaced(Gang("task-1", 1, 2));
  EXPECT_TRUE(h.Submit(Gang("task-1", 1, 2)).empty());
  EXPECT_EQ(h.scheduler.FindWorker("w1")->free_gpus, 6);
  h.Finish(place);
  EXPECT_TRUE(h.Submit(Gang("task-1", 1, 2)).empty());  // finished tasks are not run again
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kSucceeded);
  // The same id with a different spec is refused without touching the first task.
  const std::vector<RejectTask> rejected = Only<RejectTask>(h.Submit(Gang("task-1", 1, 4)));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].code, RejectCode::kDuplicateId);
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kSucceeded);
}

TEST(SchedulerFailureTest, CancelKillsARunningAttemptAndFreesItsGpus) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask running = h.SubmitPlaced(Gang("task-1", 1, 8));
  h.Submit(Gang("task-2", 1, 8));
  h.Submit(Gang("task-3", 1, 8));
  EXPECT_TRUE(h.Send(CancelTask{"task-3"}).empty());  // pending: just leaves the queue
  const std::vector<Action> actions = h.Send(CancelTask{"task-1"});
  ASSERT_EQ(Only<KillAttempt>(actions).size(), 1u);
  EXPECT_EQ(Only<KillAttempt>(actions)[0].attempt, running.attempt);
  EXPECT_EQ(Only<PlaceTask>(actions).at(0).task, "task-2");
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kCancelled);
  EXPECT_EQ(h.StateOf("task-3"), TaskState::kCancelled);
  EXPECT_TRUE(h.Finish(running).empty());  // its late report is stale
}

TEST(SchedulerFailureTest, DrainingWorkerKeepsItsRanksButTakesNoNewOnes) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask running = h.SubmitPlaced(Gang("task-1", 1, 4));
  EXPECT_TRUE(h.Send(WorkerDrain{running.ranks[0].worker}).empty());
  const PlaceTask next = h.SubmitPlaced(Gang("task-2", 1, 4));
  EXPECT_NE(next.ranks[0].worker, running.ranks[0].worker);
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kRunning);
  // A drained cluster shape also decides what can ever fit.
  EXPECT_EQ(Only<RejectTask>(h.Submit(Gang("task-3", 2, 8))).at(0).code, RejectCode::kNeverFits);
}

TEST(SchedulerFailureTest, RepeatedJoinIsHarmlessButARestartEndsTheOldRanks) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask running = h.SubmitPlaced(Gang("task-1", 1, 8));
  EXPECT_TRUE(h.Send(WorkerJoined{WorkerSpec{"w1", 8, 0, {}, 1}}).empty());
  EXPECT_EQ(h.StateOf("task-1"), TaskState::kRunning);
  const std::vector<Action> actions = h.Send(WorkerJoined{WorkerSpec{"w1", 8, 0, {}, 2}});
  EXPECT_EQ(Only<KillAttempt>(actions).size(), 1u) << Describe(actions);
  EXPECT_EQ(Only<RequeueTask>(actions).size(), 1u);
  const std::vector<PlaceTask> again = Only<PlaceTask>(actions);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GT(again[0].attempt, running.attempt);
}

TEST(SchedulerFailureTest, BadWorkerEventsAreErrorsThatChangeNothing) {
  Scheduler scheduler;
  std::vector<Action> actions;
  Status status = scheduler.Handle(WorkerLost{"nobody"}, &actions);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("nobody"), std::string::npos);
  status = scheduler.Handle(WorkerJoined{WorkerSpec{"w1", 65, 0, {}, 1}}, &actions);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("gpus = 65"), std::string::npos) << status;
  EXPECT_EQ(scheduler.FindWorker("w1"), nullptr);
  EXPECT_EQ(scheduler.Handle(CancelTask{"ghost"}, &actions).code(), StatusCode::kNotFound);
  EXPECT_TRUE(actions.empty());
}

}  // namespace
}  // namespace mdetr::scheduler
