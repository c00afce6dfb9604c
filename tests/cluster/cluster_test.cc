// The cluster as users run it: a coordinator and three workers started as real processes on
// loopback, jobs and sweeps submitted with the mdetr CLI, workers and the coordinator killed with
// SIGKILL while tasks run.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cluster/local_cluster.h"
#include "tests/support/child_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::testing {
namespace {
using nlohmann::json;

class ClusterTest : public LocalClusterTest {
 protected:
  void SetUp() override { StartCluster("cluster", 24); }

  std::string Overrides(const std::string& extra) const {
    return " --set data.train.0.ann_file=" + data_ + "/train.json --set data.train.0.images=" + data_ +
           "/images --set data.val.0.ann_file=" + data_ + "/val.json --set data.val.0.images=" + data_ +
           "/images --set data.scales=[96] --set data.max_size=128 --set data.eval_size=96 --set run.threads=1"
           " --set run.log_every_steps=1 " + extra;
  }
  std::map<std::string, torch::Tensor> FinalWeights(const std::string& task) {
    auto list = trainer::ListCheckpoints(dir_ + "/shared/tasks/" + task + "/checkpoints");
    if (list.empty()) return {};
    auto st = trainer::LoadCheckpoint(list.back());
    return st.ok() ? st->model : std::map<std::string, torch::Tensor>{};
  }
};

TEST_F(ClusterTest, SweepOfThreeFineTunesRunsAndReportsEveryCurve) {
  const std::string sweep_file = dir_ + "/sweep.yaml";
  std::ofstream(sweep_file) << "name: lr\nbase: " << SourceDir() << "/configs/tasks/synthetic_tiny.yaml\n"
                            << "set:\n  - run.max_steps=3\n  - run.eval_every_epochs=0\n"
                            << "  - data.train.0.ann_file=" << data_ << "/train.json\n"
                            << "  - data.train.0.images=" << data_ << "/images\n"
                            << "  - data.val.0.ann_file=" << data_ << "/val.json\n"
                            << "  - data.val.0.images=" << data_ << "/images\n"
                            << "  - data.scales=[96]\n  - data.max_size=128\n  - run.threads=1\n  - run.log_every_steps=1\n"
                            << "grid:\n  optim.lr: ['0.0001', '0.0002', '0.0004']\nmax_concurrent: 3\n";
  const json sub = CliJson("sweep " + sweep_file + " --json");
  ASSERT_TRUE(sub.contains("sweep_id")) << sub.dump();
  ASSERT_EQ(sub["trials"].size(), 3u);
  // Resubmitting the same sweep names the same trials and runs nothing twice.
  EXPECT_EQ(CliJson("sweep " + sweep_file + " --json")["trials"], sub["trials"]);
  for (const auto& trial : sub["trials"]) {
    ASSERT_TRUE(WaitFor([&] { return JobState(trial) == "succeeded"; }, 600))
        << trial << ": " << Cli("status " + trial.get<std::string>()) << Cli("events");
  }
  const json points = CliJson("metrics " + sub["sweep_id"].get<std::string>() + " --json");
  std::set<std::string> tasks_with_loss;
  for (const auto& p : points) {
    if (p["name"] == "loss") tasks_with_loss.insert(p["task"]);
  }
  EXPECT_EQ(tasks_with_loss.size(), 3u) << points.dump();
  const std::string png = dir_ + "/curves.png";
  Cli("metrics " + sub["sweep_id"].get<std::string>() + " --plot " + png);
  EXPECT_GT(ReadFile(png).size(), 1000u);
}

TEST_F(ClusterTest, KilledWorkerTaskResumesElsewhereWithTheSameFinalWeights) {
  const std::string extra = "--set run.max_steps=10 --set run.checkpoint_every_steps=2 --set run.eval_every_epochs=0";
  const std::string cfg = SourceDir() + "/configs/tasks/synthetic_tiny.yaml";
  const std::string job = Cli("submit " + cfg + Overrides(extra)).substr(0, 19);
  ASSERT_TRUE(WaitFor([&] { return CliJson("checkpoints " + job + " --json").size() >= 1; }, 300))
      << Cli("status " + job) << ReadFile(dir_ + "/coordinator.log");
  const json st = CliJson("status " + job + " --json");
  const std::string victim = st["task_details"][0]["workers"][0];
  workers_[static_cast<size_t>(victim[1] - '0')]->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return JobState(job) == "succeeded"; }, 600)) << Cli("events " + job);
  const json done = CliJson("status " + job + " --json");
  EXPECT_EQ(done["task_details"][0]["attempts"], 2) << Cli("events " + job);
  EXPECT_NE(done["task_details"][0]["workers"][0], victim);
  EXPECT_EQ(done["task_details"][0]["step"], 10);
  EXPECT_NE(Cli("events " + job).find("requeued"), std::string::npos);

  // The same job undisturbed ends with bit-identical weights.
  const std::string control = Cli("submit " + cfg + Overrides(extra)).substr(0, 19);
  ASSERT_TRUE(WaitFor([&] { return JobState(control) == "succeeded"; }, 600)) << Cli("events " + control);
  auto a = FinalWeights(job + "-t0"), b = FinalWeights(control + "-t0");
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(t.equal(b.at(name))) << name;
}

TEST_F(ClusterTest, TwoRankGangAcrossTwoWorkersIsRequeuedWholeWhenOneDies) {
  const std::string cfg = SourceDir() + "/configs/tasks/synthetic_tiny.yaml";
  const std::string job = Cli("submit " + cfg + " --ranks 2" +
                              Overrides("--set run.max_steps=8 --set run.checkpoint_every_steps=2 "
                                        "--set run.eval_every_epochs=0 --set optim.batch_size=2"))
                              .substr(0, 19);
  ASSERT_TRUE(WaitFor([&] { return CliJson("checkpoints " + job + " --json").size() >= 1; }, 300))
      << Cli("events " + job) << ReadFile(dir_ + "/coordinator.log");
  const json st = CliJson("status " + job + " --json");
  ASSERT_EQ(st["task_details"][0]["workers"].size(), 2u) << st.dump();  // one CPU slot per worker: spread
  const std::string victim = st["task_details"][0]["workers"][1];
  workers_[static_cast<size_t>(victim[1] - '0')]->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return JobState(job) == "succeeded"; }, 600)) << Cli("events " + job);
  const json done = CliJson("status " + job + " --json");
  EXPECT_EQ(done["task_details"][0]["attempts"], 2) << Cli("events " + job);
  EXPECT_EQ(done["task_details"][0]["workers"].size(), 2u);
  for (const auto& w : done["task_details"][0]["workers"]) EXPECT_NE(w, victim);
  EXPECT_EQ(done["task_details"][0]["step"], 8);
}

TEST_F(ClusterTest, CoordinatorKilledWhileTasksRunLosesNothing) {
  const std::string cfg = SourceDir() + "/configs/tasks/synthetic_tiny.yaml";
  const std::string job = Cli("submit " + cfg + Overrides("--set run.max_steps=8 --set run.eval_every_epochs=0")).substr(0, 19);
  ASSERT_EQ(job.rfind("job-", 0), 0u) << job;
  ASSERT_TRUE(WaitFor([&] { return JobState(job) == "running"; }, 120));
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait();
  StartCoordinator();  // same state folder, same address: workers reconnect and re-register
  ASSERT_TRUE(WaitFor([&] { return JobState(job) == "succeeded"; }, 600))
      << Cli("events " + job) << ReadFile(dir_ + "/coordinator.log");
  const json done = CliJson("status " + job + " --json");
  // The running attempt was re-adopted, not restarted: it ran once.
  EXPECT_EQ(done["task_details"][0]["attempts"], 1) << Cli("events " + job);
  EXPECT_EQ(done["task_details"][0]["step"], 8);
  // The restart was quicker than the workers' liveness timeout, so their connections never looked
  // broken: they must still notice the new coordinator, register with it and take new work.
  ASSERT_TRUE(WaitFor([&] { return AliveWorkers() == 3; }, 30)) << Cli("workers") << Cli("events");
  const std::string next = Cli("submit " + cfg + Overrides("--set run.max_steps=2 --set run.eval_every_epochs=0")).substr(0, 19);
  ASSERT_TRUE(WaitFor([&] { return JobState(next) == "succeeded"; }, 600)) << Cli("events " + next);
}

}  // namespace
}  // namespace mdetr::testing
