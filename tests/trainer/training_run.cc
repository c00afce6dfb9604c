#include "tests/trainer/training_run.h"

#include <gtest/gtest.h>

#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::testing {

std::string SyntheticDataDir() {
  static const std::string dir = [] {
    const std::string d = MakeTempDir("synth");
    const auto r = RunCommand(BuildDir() + "/bin/mdetr data synth --out " + d + " --images 24 --seed 11");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return d;
  }();
  return dir;
}

std::string FixedSizeSyntheticDataDir() {
  static const std::string dir = [] {
    const std::string d = MakeTempDir("synth-fixed");
    const auto r = RunCommand(BuildDir() + "/bin/mdetr data synth --out " + d +
                              " --images 24 --seed 12 --min-size 128 --max-size 128");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return d;
  }();
  return dir;
}

std::vector<std::string> TrainCommand(const std::string& out_dir, const std::vector<std::string>& overrides) {
  const std::string data = SyntheticDataDir();
  std::vector<std::string> cmd = {BuildDir() + "/bin/mdetr", "train", SourceDir() + "/configs/tasks/synthetic_tiny.yaml",
                                  "--out", out_dir, "--quiet"};
  const std::vector<std::string> base = {
      "data.train.0.ann_file=" + data + "/train.json", "data.train.0.images=" + data + "/images",
      "data.val.0.ann_file=" + data + "/val.json",     "data.val.0.images=" + data + "/images",
      "data.scales=[96]", "data.max_size=128", "data.eval_size=96", "data.num_workers=2",
      "run.threads=1", "run.log_every_steps=1", "optim.epochs=2"};
  for (const auto& s : base) {
    cmd.push_back("--set");
    cmd.push_back(s);
  }
  for (const auto& s : overrides) {
    cmd.push_back("--set");
    cmd.push_back(s);
  }
  return cmd;
}

std::map<std::string, torch::Tensor> FinalWeights(const std::string& out_dir, int64_t* step) {
  auto list = trainer::ListCheckpoints(out_dir + "/checkpoints");
  if (list.empty()) return {};
  auto st = trainer::LoadCheckpoint(list.back());
  if (!st.ok()) return {};
  if (step) *step = st->at.step;
  return st->model;
}

}  // namespace mdetr::testing
