// Where gangs go: one worker when possible, else an even split; never a GPU twice; all or nothing.
#include <set>

#include <gtest/gtest.h>

#include "tests/coordinator/scheduler_test_util.h"

namespace mdetr::scheduler {
namespace {

using testing::Gang;
using testing::GpusPerWorker;
using testing::Only;
using testing::SchedulerHarness;

TEST(SchedulerPlacementTest, PacksAGangOntoOneWorkerWhenOneHasRoom) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask place = h.SubmitPlaced(Gang("task-1", 4, 1));
  ASSERT_EQ(place.ranks.size(), 4u);
  EXPECT_EQ(GpusPerWorker(place).size(), 1u);
  std::set<int> gpus;
  for (const RankPlacement& r : place.ranks) gpus.insert(r.gpus.begin(), r.gpus.end());
  EXPECT_EQ(gpus.size(), 4u);  // four distinct GPUs
}

TEST(SchedulerPlacementTest, SpreadsSixteenGpusAsTwoTimesEightNotEightFourFour) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  h.AddWorker("w3", 8);
  const PlaceTask small_a = h.SubmitPlaced(Gang("small-a", 1, 4));
  const PlaceTask small_b = h.SubmitPlaced(Gang("small-b", 1, 4));
  // Best fit put both 4-GPU tasks on one worker, so two whole workers are free.
  EXPECT_EQ(small_a.ranks[0].worker, small_b.ranks[0].worker);
  const PlaceTask big = h.SubmitPlaced(Gang("big", 16, 1));
  const auto split = GpusPerWorker(big);
  ASSERT_EQ(split.size(), 2u);
  for (const auto& [worker, gpus] : split) EXPECT_EQ(gpus, 8) << worker;
}

TEST(SchedulerPlacementTest, WaitsRatherThanSplitUnevenly) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  h.AddWorker("w3", 8);
  const PlaceTask a = h.SubmitPlaced(Gang("job-a", 1, 4));
  const PlaceTask fill = h.SubmitPlaced(Gang("fill", 1, 4));  // best fit: next to `a`
  ASSERT_EQ(fill.ranks[0].worker, a.ranks[0].worker);
  const PlaceTask c = h.SubmitPlaced(Gang("job-c", 1, 4));
  ASSERT_NE(c.ranks[0].worker, a.ranks[0].worker);
  h.Finish(fill);
  // Free now: 4 + 4 + 8 = 16 GPUs, but only as 8+4+4. Sixteen 1-GPU ranks could go 2x8 or 4x4,
  // neither of which exists, so the gang waits instead of being split unevenly.
  const std::vector<Action> actions = h.Submit(Gang("big", 16, 1));
  EXPECT_TRUE(Only<PlaceTask>(actions).empty()) << testing::Describe(actions);
  EXPECT_EQ(h.StateOf("big"), TaskState::kPending);
  // When `a` ends two workers are whole and the gang goes 2 x 8.
  const std::vector<PlaceTask> placed = Only<PlaceTask>(h.Finish(a));
  ASSERT_EQ(placed.size(), 1u);
  const auto split = GpusPerWorker(placed[0]);
  EXPECT_EQ(split.size(), 2u);
  for (const auto& [worker, gpus] : split) EXPECT_EQ(gpus, 8) << worker;
}

TEST(SchedulerPlacementTest, NeverGivesAGpuTwice) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  std::set<int> used;
  std::vector<PlaceTask> running;
  for (int i = 0; i < 8; ++i) {
    running.push_back(h.SubmitPlaced(Gang("t" + std::to_string(i) + "x", 1, 1)));
    EXPECT_TRUE(used.insert(running.back().ranks[0].gpus[0]).second) << "GPU given twice";
  }
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(Gang("late", 1, 1))).empty());
  // The late task gets exactly the GPU that was freed.
  const int freed = running[5].ranks[0].gpus[0];
  const std::vector<PlaceTask> placed = Only<PlaceTask>(h.Finish(running[5]));
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].task, "late");
  EXPECT_EQ(placed[0].ranks[0].gpus, std::vector<int>{freed});
}

TEST(SchedulerPlacementTest, PlacesAllRanksOrNone) {
  SchedulerHarness h;
  h.AddWorker("w1", 8);
  h.AddWorker("w2", 8);
  const PlaceTask one = h.SubmitPlaced(Gang("one", 1, 1));
  // 15 GPUs are free but the 2 x 8 gang needs two whole workers: nothing of it starts.
  const std::vector<Action> actions = h.Submit(Gang("gang", 2, 8));
  EXPECT_TRUE(Only<PlaceTask>(actions).empty()) << testing::Describe(actions);
  const std::vector<PlaceTask> placed = Only<PlaceTask>(h.Finish(one));
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].ranks.size(), 2u);
  EXPECT_EQ(GpusPerWorker(placed[0]).size(), 2u);
}

TEST(SchedulerPlacementTest, RequiredLabelsPickTheWorkers) {
  SchedulerHarness h;
  h.AddWorker("a100-1", 8, {{"gpu", "a100"}});
  h.AddWorker("h100-1", 8, {{"gpu", "h100"}, {"zone", "b"}});
  h.AddWorker("h100-2", 8, {{"gpu", "h100"}, {"zone", "c"}});
  TaskSpec spec = Gang("task-1", 2, 8);
  spec.required_labels = {{"gpu", "h100"}};
  const PlaceTask place = h.SubmitPlaced(spec);
  EXPECT_EQ(GpusPerWorker(place), (std::map<std::string, int>{{"h100-1", 8}, {"h100-2", 8}}));
  // Nothing else with that label is free, so a second one waits although a100-1 is idle.
  spec.id = "task-2";
  spec.ranks = 1;
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(spec)).empty());
}

TEST(SchedulerPlacementTest, CpuOnlyRanksUseCpuSlotsNotGpus) {
  SchedulerHarness h;
  h.AddWorker("gpu-1", 8);
  h.AddWorker("cpu-1", 0, {}, 16);
  TaskSpec spec = Gang("cpu-job", 4, 0);
  spec.cpus_per_rank = 4;
  const PlaceTask place = h.SubmitPlaced(spec);
  for (const RankPlacement& r : place.ranks) {
    EXPECT_EQ(r.worker, "cpu-1");
    EXPECT_TRUE(r.gpus.empty());
    EXPECT_EQ(r.cpu_slots, 4);
  }
  // CPU slots are full, GPUs are not touched by CPU work.
  spec.id = "cpu-job-2";
  spec.ranks = 1;
  EXPECT_TRUE(Only<PlaceTask>(h.Submit(spec)).empty());
  h.SubmitPlaced(Gang("gpu-job", 1, 8));
}

}  // namespace
}  // namespace mdetr::scheduler
