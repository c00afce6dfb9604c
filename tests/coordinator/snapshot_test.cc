// A scheduler restored from its snapshot carries on exactly like the original, and a damaged
// snapshot is refused instead of double-booking GPUs.
#include <random>

#include <gtest/gtest.h>

#include "tests/coordinator/scheduler_test_util.h"

namespace mdetr::scheduler {
namespace {

using testing::Describe;
using testing::Gang;

// Random but reproducible traffic that follows what the scheduler placed: submissions, reports
// for running attempts (some of them stale), cancellations, lost and returning workers.
class Traffic {
 public:
  explicit Traffic(uint64_t seed) : rng_(seed) {}

  Event Next(const std::vector<Action>& last) {
    for (const Action& a : last) {
      if (const auto* p = std::get_if<PlaceTask>(&a)) running_.push_back(*p);
    }
    const int roll = Pick(0, 99);
    if (roll < 45 || running_.empty()) {
      static const int kGpus[] = {1, 2, 4, 8, 16};
      const int gpus = kGpus[Pick(0, 4)];
      const int per_rank = Pick(0, 1) == 0 ? 1 : std::min(gpus, 8);
      return SubmitTask{Gang("task-" + std::to_string(next_task_++), gpus / per_rank, per_rank, Pick(0, 2))};
    }
    if (roll < 90) {
      const size_t i = static_cast<size_t>(Pick(0, static_cast<int>(running_.size()) - 1));
      const PlaceTask p = running_[i];
      if (Pick(0, 9) != 0) running_.erase(running_.begin() + static_cast<long>(i));  // else a duplicate later
      static const Outcome kOutcomes[] = {Outcome::kSucceeded, Outcome::kSucceeded,      Outcome::kSucceeded,
                                          Outcome::kPreempted, Outcome::kInfrastructure, Outcome::kUserError};
      return TaskFinished{p.task, p.attempt, kOutcomes[Pick(0, 5)], p.ranks[0].worker};
    }
    if (roll < 93) return CancelTask{"task-" + std::to_string(Pick(0, next_task_ - 1))};
    const std::string worker = "w" + std::to_string(Pick(0, 11));
    if (roll < 96) return WorkerLost{worker};
    return WorkerJoined{WorkerSpec{worker, 8, 0, {}, static_cast<uint64_t>(++incarnation_)}};
  }

 private:
  int Pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::mt19937_64 rng_;
  std::vector<PlaceTask> running_;
  int next_task_ = 0;
  int incarnation_ = 1;
};

std::vector<std::string> Lines(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  out.reserve(actions.size());
  for (const Action& a : actions) out.push_back(ToString(a));
  return out;
}

TEST(SnapshotTest, RestoredSchedulerContinuesExactlyLikeTheOriginal) {
  SchedulerConfig config;
  config.quarantine_after_failures = 4;
  Scheduler original(config);
  std::vector<Action> actions;
  for (int w = 0; w < 12; ++w) {
    ASSERT_TRUE(
        original.Handle(WorkerJoined{WorkerSpec{"w" + std::to_string(w), 8, 0, {}, 1}}, &actions).ok());
  }
  Traffic traffic(42);
  for (int step = 0; step < 3000; ++step) {
    const Event event = traffic.Next(actions);
    actions.clear();
    (void)original.Handle(event, &actions);
  }
  ASSERT_GT(original.pending_count(), 0u) << "the snapshot should catch a busy moment";

  Result<std::unique_ptr<Scheduler>> restored = Scheduler::Restore(config, original.Snapshot());
  ASSERT_TRUE(restored.ok()) << restored.status();
  Scheduler& copy = **restored;
  std::vector<Action> copy_actions;
  for (int step = 0; step < 3000; ++step) {
    const Event event = traffic.Next(actions);
    actions.clear();
    copy_actions.clear();
    const Status a = original.Handle(event, &actions);
    const Status b = copy.Handle(event, &copy_actions);
    ASSERT_EQ(a, b) << "step " << step;
    ASSERT_EQ(Lines(actions), Lines(copy_actions)) << "step " << step << "\noriginal:\n"
                                                   << Describe(actions) << "restored:\n"
                                                   << Describe(copy_actions);
  }
  EXPECT_EQ(original.PendingOrder(), copy.PendingOrder());
}

TEST(SnapshotTest, DamagedSnapshotIsRefusedNamingTheRecord) {
  testing::SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  h.SubmitPlaced(Gang("task-1", 1, 4));
  h.Submit(Gang("task-2", 2, 8));

  SchedulerSnapshot gpu_twice = h.scheduler.Snapshot();
  gpu_twice.workers[0].free_gpu_mask = 0xff;  // says all free while task-1 holds four
  gpu_twice.workers[0].free_gpus = 8;
  Result<std::unique_ptr<Scheduler>> r = Scheduler::Restore({}, gpu_twice);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("task task-1: a GPU of worker w1 is held twice"), std::string::npos)
      << r.status();

  SchedulerSnapshot bad_index = h.scheduler.Snapshot();
  bad_index.tasks[0].ranks[0].worker = 7;
  r = Scheduler::Restore({}, bad_index);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("worker index 7 of 2"), std::string::npos) << r.status();

  SchedulerSnapshot partial = h.scheduler.Snapshot();
  partial.tasks[0].ranks.clear();  // running without ranks
  EXPECT_FALSE(Scheduler::Restore({}, partial).ok());

  // The untouched snapshot restores and keeps every decision: task-2 still waits for two workers.
  r = Scheduler::Restore({}, h.scheduler.Snapshot());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->PendingOrder(), std::vector<TaskId>{"task-2"});
  EXPECT_EQ((*r)->FindWorker("w1")->free_gpus, 4);
}

}  // namespace
}  // namespace mdetr::scheduler
