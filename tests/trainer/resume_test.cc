// Exact resume: a run killed with SIGKILL at a random checkpoint and restarted ends with
// bit-identical weights to an uninterrupted run; SIGTERM checkpoints and exits "preempted".
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/training_run.h"
#include "worker/trainer/trainer.h"

namespace mdetr::testing {
namespace {
namespace fs = std::filesystem;

bool WaitForFile(const std::string& path, ChildProcess& child, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(path)) return true;
    if (!child.Running()) return fs::exists(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ExpectBitIdentical(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(t.equal(b.at(name))) << name;
}

TEST(ResumeTest, KillNineAtARandomCheckpointThenResumeIsBitIdentical) {
  const std::string dir = MakeTempDir("resume");
  const std::vector<std::string> common = {"run.max_steps=8", "run.checkpoint_every_steps=2", "run.eval_every_epochs=0",
                                           "optim.batch_size=2", "optim.ema=true"};
  ChildProcess straight(TrainCommand(dir + "/straight", common), dir + "/straight.log");
  ASSERT_EQ(straight.Wait(), 0) << ReadFile(dir + "/straight.log");

  std::mt19937 rng(std::random_device{}());
  const int kill_after = 2 * std::uniform_int_distribution<int>(1, 3)(rng);  // step 2, 4 or 6
  const int extra_ms = std::uniform_int_distribution<int>(0, 400)(rng);
  const std::string sidecar = dir + "/interrupted/checkpoints/checkpoint-0000000" + std::to_string(kill_after) + ".pt.json";
  {
    ChildProcess victim(TrainCommand(dir + "/interrupted", common), dir + "/interrupted.log");
    ASSERT_TRUE(WaitForFile(sidecar, victim, 300)) << ReadFile(dir + "/interrupted.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms));
    victim.Signal(SIGKILL);
    EXPECT_EQ(victim.Wait(), 128 + SIGKILL) << "the run finished before it could be killed";
  }
  ChildProcess resumed(TrainCommand(dir + "/interrupted", common), dir + "/resumed.log");
  ASSERT_EQ(resumed.Wait(), 0) << ReadFile(dir + "/resumed.log");
  SCOPED_TRACE("killed after checkpoint " + std::to_string(kill_after) + " + " + std::to_string(extra_ms) + " ms");
  int64_t step = 0;
  auto b = FinalWeights(dir + "/interrupted", &step);
  EXPECT_EQ(step, 8);
  ExpectBitIdentical(FinalWeights(dir + "/straight"), b);
  EXPECT_NE(ReadFile(dir + "/interrupted/events.jsonl").find("\"type\":\"resumed\""), std::string::npos);
}

TEST(ResumeTest, TwoRanksWithDropoutResumeBitIdentical) {
  // Each rank draws its own dropout masks (seeded run.seed + rank); a resume must give every rank
  // its own generator back. Straight: 2 Gloo ranks for 4 steps. Interrupted: the same run stopped
  // at step 2 (its last checkpoint), then resumed to 4.
  const std::string dir = MakeTempDir("resume2");
  const std::vector<std::string> common = {"run.checkpoint_every_steps=2", "run.eval_every_epochs=0",
                                           "optim.batch_size=2", "model.dropout=0.1",
                                           "model.text_encoder.dropout=0.1"};
  auto run_two_ranks = [&](const std::string& out, int max_steps) {
    const int port = FreeLocalPort();
    std::vector<std::unique_ptr<ChildProcess>> ranks;
    for (int r = 0; r < 2; ++r) {
      auto cmd = TrainCommand(out, common);
      cmd.insert(cmd.end(), {"--set", "run.max_steps=" + std::to_string(max_steps), "--rank", std::to_string(r),
                             "--world-size", "2", "--master-port", std::to_string(port)});
      ranks.push_back(std::make_unique<ChildProcess>(cmd, out + ".rank" + std::to_string(r) + ".log"));
    }
    for (int r = 0; r < 2; ++r) {
      const std::string log = out + ".rank" + std::to_string(r) + ".log";
      ASSERT_EQ(ranks[static_cast<size_t>(r)]->Wait(), 0) << ReadFile(log);
    }
  };
  run_two_ranks(dir + "/straight", 4);
  run_two_ranks(dir + "/interrupted", 2);
  run_two_ranks(dir + "/interrupted", 4);
  int64_t step = 0;
  auto resumed = FinalWeights(dir + "/interrupted", &step);
  EXPECT_EQ(step, 4);
  ExpectBitIdentical(FinalWeights(dir + "/straight"), resumed);
  const std::string events = ReadFile(dir + "/interrupted/events.jsonl");
  EXPECT_NE(events.find("\"type\":\"resumed\""), std::string::npos);
  EXPECT_EQ(events.find("fresh random streams"), std::string::npos) << events;
}

TEST(ResumeTest, SigtermCheckpointsAndExitsPreempted) {
  const std::string dir = MakeTempDir("preempt");
  const std::vector<std::string> common = {"run.max_steps=40", "run.checkpoint_every_steps=0",
                                           "run.eval_every_epochs=0", "optim.batch_size=2"};
  ChildProcess child(TrainCommand(dir + "/run", common), dir + "/run.log");
  // Wait for the first step event, then ask the task to stop as Slurm or the worker would.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (ReadFile(dir + "/run/events.jsonl").find("\"type\":\"step\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && child.Running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child.Signal(SIGTERM);
  EXPECT_EQ(child.Wait(), trainer::kExitPreempted) << ReadFile(dir + "/run.log");
  const std::string events = ReadFile(dir + "/run/events.jsonl");
  EXPECT_NE(events.find("\"type\":\"preempted\""), std::string::npos) << events;
  int64_t step = 0;
  EXPECT_FALSE(FinalWeights(dir + "/run", &step).empty());
  EXPECT_GT(step, 0);
}

}  // namespace
}  // namespace mdetr::testing
