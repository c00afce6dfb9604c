// A seeded random sweep on a real cluster: a coordinator and three workers as processes on
// loopback, the sweep submitted with the mdetr CLI, the coordinator killed (SIGKILL) while the
// trials run. Each trial runs exactly once, with the values the dry run printed for it in the
// config its worker handed to the task program.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/config/document.h"
#include "tests/cluster/local_cluster.h"
#include "tests/support/child_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

class RandomSweepClusterTest : public LocalClusterTest {
 protected:
  void SetUp() override { StartCluster("sweep_cluster", 12); }
  void OnPoll() override { CaptureAttemptConfigs(); }

  // Keeps a copy of the config each worker hands to rank 0 of each attempt (the worker removes
  // the attempt's folder when it ends), keyed by attempt folder name: "<task>-a<n>-r0".
  void CaptureAttemptConfigs() {
    for (size_t i = 0; i < workers_.size(); ++i) {
      const fs::path attempts = fs::path(dir_) / ("w" + std::to_string(i)) / "attempts";
      std::error_code ec;
      for (fs::directory_iterator it(attempts, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() < 3 || name.compare(name.size() - 3, 3, "-r0") != 0) continue;
        const std::string text = ReadFile((it->path() / "config.yaml").string());
        if (text.size() > attempt_configs_[name].size()) attempt_configs_[name] = text;
      }
    }
  }
  // The configs captured for a trial's attempts.
  std::vector<std::string> AttemptConfigs(const std::string& trial) const {
    std::vector<std::string> out;
    for (const auto& [name, text] : attempt_configs_) {
      if (name.rfind(trial + "-t0-a", 0) == 0) out.push_back(text);
    }
    return out;
  }

  std::map<std::string, std::string> attempt_configs_;
};

// The value at a dotted key path of a YAML document, as text.
std::string ValueAt(const std::string& yaml, const std::string& key_path) {
  auto doc = config::Document::Parse(yaml, "attempt config");
  if (!doc.ok()) return "<" + doc.status().ToString() + ">";
  YAML::Node node = YAML::Clone(doc->root());
  for (size_t start = 0; start <= key_path.size();) {
    const size_t dot = std::min(key_path.find('.', start), key_path.size());
    const YAML::Node child = static_cast<const YAML::Node&>(node)[key_path.substr(start, dot - start)];
    if (!child) return "<missing " + key_path + ">";
    node.reset(child);  // not operator=, which would overwrite the node's content
    start = dot + 1;
  }
  return node.Scalar();
}

TEST_F(RandomSweepClusterTest, RandomTrialsRunOnceEachWithTheirSampledValues) {
  const std::string sweep_file = dir_ + "/random.yaml";
  std::ofstream(sweep_file) << "name: random-lr-wd\nbase: " << SourceDir() << "/configs/tasks/synthetic_tiny.yaml\n"
                            << "set:\n  - run.max_steps=1\n  - run.eval_every_epochs=0\n"
                            << "  - data.train.0.ann_file=" << data_ << "/train.json\n"
                            << "  - data.train.0.images=" << data_ << "/images\n"
                            << "  - data.val.0.ann_file=" << data_ << "/val.json\n"
                            << "  - data.val.0.images=" << data_ << "/images\n"
                            << "  - data.scales=[96]\n  - data.max_size=128\n  - run.threads=1\n"
                            << "random:\n  samples: 3\n  seed: 17\n  space:\n"
                            << "    optim.lr: {log_uniform: [1.0e-5, 1.0e-3]}\n"
                            << "    optim.weight_decay: {uniform: [0.0, 0.1]}\n"
                            << "    optim.batch_size: {choice: [2, 4]}\n"
                            << "    run.seed: {int_uniform: [0, 1000]}\n"
                            << "max_concurrent: 3\n";
  // The dry run names the trials and their values and submits nothing.
  const json dry = CliJson("sweep " + sweep_file + " --dry-run --json");
  ASSERT_EQ(dry.value("trials", json::array()).size(), 3u) << Cli("sweep " + sweep_file + " --dry-run");
  const json jobs = CliJson("status --json");
  EXPECT_TRUE(jobs.is_array() && jobs.empty()) << jobs.dump();

  const json sub = CliJson("sweep " + sweep_file + " --json");
  ASSERT_TRUE(sub.contains("sweep_id")) << Cli("sweep " + sweep_file);
  EXPECT_EQ(sub["sweep_id"], dry["sweep_id"]);
  EXPECT_EQ(sub["trials"], dry["trials"]);
  EXPECT_EQ(CliJson("sweep " + sweep_file + " --json")["trials"], sub["trials"]);

  // A coordinator killed while the trials run comes back with the same sweep: resubmitting it
  // names the same trials and starts none of them again.
  ASSERT_TRUE(WaitFor([&] { return CliJson("status " + sub["trials"][0].get<std::string>() + " --json")
                                       .value("state", "") != "pending"; }, 120));
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait();
  StartCoordinator();
  EXPECT_EQ(CliJson("sweep " + sweep_file + " --json")["trials"], sub["trials"]) << ReadFile(dir_ + "/coordinator.log");

  for (const auto& t : dry["trial_params"]) {
    const std::string trial = t["trial_id"];
    ASSERT_TRUE(WaitFor([&] { return CliJson("status " + trial + " --json").value("state", "") == "succeeded"; }, 300))
        << trial << ": " << Cli("status " + trial) << Cli("events " + trial) << ReadFile(dir_ + "/coordinator.log");
    const json st = CliJson("status " + trial + " --json");
    EXPECT_EQ(st["task_details"][0]["attempts"], 1) << Cli("events " + trial);
    int starts = 0;
    for (const auto& e : CliJson("events " + trial + " --json")) starts += e.value("kind", "") == "started" ? 1 : 0;
    EXPECT_EQ(starts, 1) << Cli("events " + trial);
    const auto configs = AttemptConfigs(trial);
    ASSERT_EQ(configs.size(), 1u) << trial << ": configs of " << configs.size() << " attempts seen";
    const json& params = t["params"];
    ASSERT_EQ(params.size(), 4u);
    for (const auto& [key, value] : params.items()) {
      const std::string in_config = ValueAt(configs[0], key);
      EXPECT_EQ(std::strtod(in_config.c_str(), nullptr), std::strtod(value.get<std::string>().c_str(), nullptr))
          << trial << " " << key << ": config has " << in_config << ", the sweep drew " << value;
    }
    const double lr = std::strtod(params["optim.lr"].get<std::string>().c_str(), nullptr);
    EXPECT_GE(lr, 1e-5);
    EXPECT_LE(lr, 1e-3);
  }
  EXPECT_EQ(CliJson("status " + sub["sweep_id"].get<std::string>() + " --json").value("state", ""), "succeeded");
}

}  // namespace
}  // namespace mdetr::testing
