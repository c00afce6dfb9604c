// What a small MDETR learns of the synthetic grounding data on a CPU within minutes: the tiny model,
// from random weights, trained on the refexp-style captions (configs/tasks/synthetic_refexp_tiny.yaml),
// learns to box the shapes of held-out pictures. Picking the referred shape among them
// (precision@1) is not yet learned in this budget; the test prints it.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {
namespace {

// Measured on the 2-core development machine, 4 epochs (780 steps, 247 s): shapes boxed 0.115
// untrained -> 0.319 trained (in longer exploratory runs of the same setting, 0.28-0.32 from the
// second epoch on). The floors leave room for run-to-run differences, not for a model that ignores
// the image (which stays at the untrained figure).
constexpr double kMinBoxed = 0.25;
constexpr double kMinBoxedGain = 2.0;

std::vector<std::string> RecipeCommand(const std::string& data, const std::string& out,
                                       const std::vector<std::string>& extra) {
  std::vector<std::string> cmd = {BuildDir() + "/bin/mdetr", "train",
                                  SourceDir() + "/configs/tasks/synthetic_refexp_tiny.yaml", "--out", out, "--quiet"};
  std::vector<std::string> sets = {"data.train.0.ann_file=" + data + "/refexp_train.json",
                                   "data.train.0.images=" + data + "/images",
                                   "data.val.0.ann_file=" + data + "/refexp_val.json",
                                   "data.val.0.images=" + data + "/images",
                                   "run.threads=2",
                                   "run.log_every_steps=50"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  for (const auto& s : sets) {
    cmd.push_back("--set");
    cmd.push_back(s);
  }
  return cmd;
}

// A metric of the last evaluation in a run's events (-1 when there is none).
double LastEval(const std::string& events_path, const std::string& metric) {
  std::istringstream lines(ReadFile(events_path));
  std::string line;
  double value = -1;
  while (std::getline(lines, line)) {
    auto ev = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_object() && ev.value("type", "") == "eval" && ev.contains("metrics")) {
      value = ev["metrics"].value(metric, -1.0);
    }
  }
  return value;
}

TEST(LearnabilityTest, TinyModelLearnsToBoxTheShapesWithinMinutes) {
  const std::string dir = MakeTempDir("learn");
  const std::string data = dir + "/synth";
  const auto synth = RunCommand(BuildDir() + "/bin/mdetr data synth --out " + data +
                                " --images 1000 --seed 5 --max-objects 2 --min-size 64 --max-size 80"
                                " --shape-percent 30");
  ASSERT_EQ(synth.exit_code, 0) << synth.output;

  ChildProcess untrained(RecipeCommand(data, dir + "/untrained", {"run.kind=evaluate"}), dir + "/untrained.log");
  ASSERT_EQ(untrained.Wait(), 0) << ReadFile(dir + "/untrained.log");
  ChildProcess trained(RecipeCommand(data, dir + "/trained", {}), dir + "/trained.log");
  ASSERT_EQ(trained.Wait(), 0) << ReadFile(dir + "/trained.log");

  // With 4 queries, precision@10 is the share of held-out expressions whose shape some query boxes
  // (GIoU >= 0.5): what the model learned to localise. precision@1 adds picking the referred one.
  const std::string before_events = dir + "/untrained/events.jsonl", after_events = dir + "/trained/events.jsonl";
  const double boxed_before = LastEval(before_events, "precision@10"), boxed_after = LastEval(after_events, "precision@10");
  const double p1_before = LastEval(before_events, "precision@1"), p1_after = LastEval(after_events, "precision@1");
  std::cout << "held-out precision@1 " << p1_before << " -> " << p1_after << ", shape boxed by some query "
            << boxed_before << " -> " << boxed_after << "\n";
  ASSERT_GE(boxed_before, 0.0) << "no evaluation in the untrained run";
  ASSERT_GE(boxed_after, 0.0) << "no evaluation in the trained run";
  EXPECT_GE(boxed_after, kMinBoxed);
  EXPECT_GE(boxed_after, kMinBoxedGain * boxed_before);
}

}  // namespace
}  // namespace mdetr::testing
