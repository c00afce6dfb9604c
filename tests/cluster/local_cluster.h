// A cluster as users run it, for tests: a coordinator and three workers as real processes on
// loopback (fast heartbeats), synthetic data, and the mdetr CLI pointed at them.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {

class LocalClusterTest : public ::testing::Test {
 protected:
  // Starts everything in a fresh folder and waits until every worker is alive.
  void StartCluster(const std::string& prefix, int synthetic_images) {
    dir_ = MakeTempDir(prefix);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(FreeLocalPort());
    StartCoordinator();
    for (size_t i = 0; i < workers_.size(); ++i) StartWorker(static_cast<int>(i));
    ASSERT_TRUE(WaitFor([&] { return AliveWorkers() == static_cast<int>(workers_.size()); }, 60))
        << ReadFile(dir_ + "/coordinator.log");
    data_ = dir_ + "/synth";
    const auto r = RunCommand(BuildDir() + "/bin/mdetr data synth --out " + data_ + " --images " +
                              std::to_string(synthetic_images) + " --seed 4");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void StartCoordinator() {
    coordinator_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BuildDir() + "/bin/mdetr-coordinator", "--data-dir", dir_ + "/coord", "--shared-dir",
                                 dir_ + "/shared", "--bind", endpoint_, "--heartbeat", "0.5", "--liveness", "4"},
        dir_ + "/coordinator.log");
  }
  void StartWorker(int i) {
    const std::string id = "w" + std::to_string(i);
    workers_[static_cast<size_t>(i)] = std::make_unique<ChildProcess>(
        std::vector<std::string>{BuildDir() + "/bin/mdetr-worker", "--id", id, "--coordinator", endpoint_, "--data-dir",
                                 dir_ + "/" + id, "--cpu-slots", "1", "--gpus", "0", "--heartbeat", "0.5", "--liveness", "4"},
        dir_ + "/" + id + ".log");
  }

  std::string Cli(const std::string& args) {
    return RunCommand(BuildDir() + "/bin/mdetr " + args + " --coordinator " + endpoint_).output;
  }
  nlohmann::json CliJson(const std::string& args) {
    try {
      return nlohmann::json::parse(Cli(args));
    } catch (const std::exception&) {
      return nlohmann::json();
    }
  }
  int AliveWorkers() {
    int n = 0;
    for (const auto& w : CliJson("workers --json")) n += w.value("alive", false) ? 1 : 0;
    return n;
  }
  std::string JobState(const std::string& job) { return CliJson("status " + job + " --json").value("state", ""); }
  // Polls `ok` (calling OnPoll before each try) until it holds or `timeout_s` passes.
  template <typename F>
  bool WaitFor(F&& ok, int timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      OnPoll();
      if (ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return false;
  }
  // For fixtures that must watch something while tests wait (files that do not last).
  virtual void OnPoll() {}

  std::string dir_, endpoint_, data_;
  std::unique_ptr<ChildProcess> coordinator_;
  std::array<std::unique_ptr<ChildProcess>, 3> workers_;
};

}  // namespace mdetr::testing
