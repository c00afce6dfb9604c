// Queue order, backfill without starvation, and rejection of tasks that can never run.
#include <gtest/gtest.h>

#include "tests/coordinator/scheduler_test_util.h"

namespace mdetr::scheduler {
namespace {

using testing::Describe;
using testing::Gang;
using testing::GpusPerWorker;
using testing::Only;
using testing::SchedulerHarness;

std::vector<std::string> PlacedIds(const std::vector<Action>& actions) {
  std::vector<std::string> ids;
  for (const PlaceTask& p : Only<PlaceTask>(actions)) ids.push_back(p.task);
  return ids;
}

TEST(SchedulerQueueTest, HigherPriorityFirstThenFifo) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  PlaceTask running = h.SubmitPlaced(Gang("blocker", 1, 8));
  for (const auto& [id, priority] : std::vector<std::pair<std::string, int>>{
           {"low-1", 0}, {"high-1", 5}, {"low-2", 0}, {"high-2", 5}, {"mid-1", 2}}) {
    EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang(id, 1, 8, priority))).empty());
  }
  EXPECT_EQ(h.scheduler.PendingOrder(), (std::vector<TaskId>{"high-1", "high-2", "mid-1", "low-1", "low-2"}));
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) {
    std::vector<PlaceTask> next = Only<PlaceTask>(h.Finish(running));
    ASSERT_EQ(next.size(), 1u);
    order.push_back(next[0].task);
    running = next[0];
  }
  EXPECT_EQ(order, (std::vector<std::string>{"high-1", "high-2", "mid-1", "low-1", "low-2"}));
}

TEST(SchedulerQueueTest, RequeuedTaskKeepsItsPlace) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask first = h.SubmitPlaced(Gang("first", 1, 8));
  h.Submit(Gang("second", 1, 8));
  // `first` is preempted: it goes back ahead of `second`, which came later.
  const std::vector<Action> actions = h.Finish(first, Outcome::kPreempted);
  EXPECT_EQ(PlacedIds(actions), std::vector<std::string>{"first"}) << Describe(actions);
}

TEST(SchedulerQueueTest, SmallTasksBackfillOnlyWhereTheBlockedGangWillNotGo) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask a = h.SubmitPlaced(Gang("job-a", 1, 4));
  const PlaceTask a_fill = h.SubmitPlaced(Gang("a-fill", 1, 4));
  const PlaceTask b = h.SubmitPlaced(Gang("job-b", 1, 4));
  h.Finish(a_fill);
  // w(a) and w(b) both have 4 free. The 8-GPU gang waits and holds one of them back.
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("gang", 1, 8))).empty());
  int held = 0;
  std::string held_worker;
  h.scheduler.ForEachReservation([&](const TaskId& task, const WorkerId& worker, int units) {
    EXPECT_EQ(task, "gang");
    held += units;
    held_worker = worker;
  });
  EXPECT_EQ(held, 8);
  // A later small task of the same priority still starts, on the other worker.
  const PlaceTask small = h.SubmitPlaced(Gang("small", 1, 4));
  EXPECT_NE(small.ranks[0].worker, held_worker);
  // And the gang starts as soon as the worker it waits for is free.
  const PlaceTask& on_held = a.ranks[0].worker == held_worker ? a : b;
  EXPECT_EQ(PlacedIds(h.Finish(on_held)), std::vector<std::string>{"gang"});
}

TEST(SchedulerQueueTest, StreamOfSmallTasksDoesNotStarveAWaitingGang) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  std::vector<PlaceTask> smalls;
  smalls.reserve(16);
  for (int i = 0; i < 16; ++i) smalls.push_back(h.SubmitPlaced(Gang("s" + std::to_string(i) + "a", 1, 1)));
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("gang", 2, 8))).empty());
  // Each time a small task ends a new one arrives. Without a reservation each would take the
  // freed GPU and the gang would never start.
  for (int i = 0; i < 16; ++i) {
    const std::vector<Action> finished = h.Finish(smalls[static_cast<size_t>(i)]);
    const std::vector<Action> submitted = h.Submit(Gang("n" + std::to_string(i) + "b", 1, 1));
    EXPECT_TRUE(Only<PlaceTask>(submitted).empty())
        << "newcomer started while the gang waits: " << Describe(submitted);
    if (i < 15) {
      EXPECT_TRUE(Only<PlaceTask>(finished).empty()) << Describe(finished);
    } else {
      EXPECT_EQ(PlacedIds(finished), std::vector<std::string>{"gang"}) << Describe(finished);
    }
  }
}

TEST(SchedulerQueueTest, LowerPriorityNeverTakesWhatAHigherOneCouldUse) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  const PlaceTask running = h.SubmitPlaced(Gang("running", 1, 6));
  h.Submit(Gang("high", 1, 4, 9));  // needs 4, only 2 free
  // A low-priority 2-GPU task fits the 2 free GPUs, but `high` will need them.
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("low", 1, 2, 1))).empty());
  EXPECT_EQ(PlacedIds(h.Finish(running)), (std::vector<std::string>{"high", "low"}));
}

TEST(SchedulerQueueTest, WaitingGangThatNoLongerFitsBlocksNobody) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask small = h.SubmitPlaced(Gang("small", 1, 1));
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("gang", 2, 8, 5))).empty());
  // With w2 gone the gang cannot fit until it comes back. It keeps waiting (the loss may be
  // brief) but holds nothing back: lower-priority work still runs on w1.
  h.Send(WorkerLost{"w2"});
  EXPECT_EQ(h.StateOf("gang"), TaskState::kPending);
  const PlaceTask low = h.SubmitPlaced(Gang("low", 1, 4, 0));
  EXPECT_EQ(low.ranks[0].worker, "w1");
  // Back with a new incarnation: the gang holds w1 and w2 again and starts when they are free.
  EXPECT_TRUE(Only<PlaceTask>(h.Send(WorkerJoined{WorkerSpec{"w2", 8, 0, {}, 2}})).empty());
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("later", 1, 1, 0))).empty());
  h.Finish(small);
  EXPECT_EQ(PlacedIds(h.Finish(low)), (std::vector<std::string>{"gang"}));
}

TEST(SchedulerQueueTest, GangLargerThanTheClusterIsRejectedWithTheReason) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const std::vector<RejectTask> rejected = Only<RejectTask>(h.Submit(Gang("huge", 3, 8)));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].code, RejectCode::kNeverFits);
  EXPECT_NE(rejected[0].reason.find("needs 24 GPUs (3 ranks x 8)"), std::string::npos) << rejected[0].reason;
  EXPECT_NE(rejected[0].reason.find("largest has 8"), std::string::npos) << rejected[0].reason;
  // A rank cannot be split over workers: 1 rank x 16 GPUs never fits 8-GPU workers either.
  EXPECT_EQ(Only<RejectTask>(h.Submit(Gang("wide-rank", 1, 16))).at(0).code, RejectCode::kNeverFits);
  // Rejected submissions leave nothing behind; after the cluster grows the same id works.
  EXPECT_EQ(h.scheduler.FindTask("huge"), nullptr);
  h.AddWorker("w3", 8);
  h.SubmitPlaced(Gang("huge", 3, 8));
}

TEST(SchedulerQueueTest, UnknownLabelsAreRejectedWithTheLabel) {
  SchedulerHarness h;
  h.AddWorker("w1", 8, {{"zone", "a"}, {"gpu", "h100"}});
  h.AddWorker("w2", 8, {{"zone", "b"}, {"gpu", "a100"}});
  TaskSpec spec = Gang("task-1", 1, 1);
  spec.required_labels = {{"zone", "c"}};
  std::vector<RejectTask> rejected = Only<RejectTask>(h.Submit(spec));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].code, RejectCode::kUnknownLabels);
  EXPECT_NE(rejected[0].reason.find("zone=c"), std::string::npos) << rejected[0].reason;
  // Each label exists, but on different workers.
  spec.required_labels = {{"zone", "a"}, {"gpu", "a100"}};
  rejected = Only<RejectTask>(h.Submit(spec));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].code, RejectCode::kUnknownLabels);
  EXPECT_NE(rejected[0].reason.find("gpu=a100,zone=a"), std::string::npos) << rejected[0].reason;
  // Enough GPUs in the cluster, but not on workers with the label.
  spec.required_labels = {{"zone", "a"}};
  spec.ranks = 2;
  spec.gpus_per_rank = 8;
  EXPECT_EQ(Only<RejectTask>(h.Submit(spec)).at(0).code, RejectCode::kNeverFits);
}

TEST(SchedulerQueueTest, MalformedSpecsAreRejectedNamingTheField) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  struct Case {
    TaskSpec spec;
    std::string expected;
  };
  TaskSpec zero_ranks = Gang("task-1", 0, 1);
  TaskSpec both = Gang("task-2", 1, 1);
  both.cpus_per_rank = 2;
  TaskSpec neither = Gang("task-3", 1, 0);
  TaskSpec bad_id = Gang("Bad/Id", 1, 1);
  TaskSpec negative_budget = Gang("task-4", 1, 1);
  negative_budget.retries.user_error = -1;
  for (const Case& c : std::vector<Case>{{zero_ranks, "ranks = 0"},
                                         {both, "either GPUs or CPU slots"},
                                         {neither, "either GPUs or CPU slots"},
                                         {bad_id, "task id 'Bad/Id'"},
                                         {negative_budget, "retry budgets"}}) {
    const std::vector<RejectTask> rejected = Only<RejectTask>(h.Submit(c.spec));
    ASSERT_EQ(rejected.size(), 1u) << c.expected;
    EXPECT_EQ(rejected[0].code, RejectCode::kInvalidSpec);
    EXPECT_NE(rejected[0].reason.find(c.expected), std::string::npos) << rejected[0].reason;
  }
}

TEST(SchedulerQueueTest, NothingFitsAnEmptyCluster) {
  SchedulerHarness h;
  const std::vector<RejectTask> rejected = Only<RejectTask>(h.Submit(Gang("task-1", 1, 1)));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].code, RejectCode::kNeverFits);
  EXPECT_NE(rejected[0].reason.find("no alive worker has GPUs"), std::string::npos) << rejected[0].reason;
}

}  // namespace
}  // namespace mdetr::scheduler
