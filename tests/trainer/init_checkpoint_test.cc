// Starting a run from given weights (model.init_checkpoint), as users fine-tune from a released
// MDETR checkpoint: a reference-layout .pth file (what `mdetr export` writes, the layout of the
// official files) is read without Python and its weights are the run's starting point.
#include <gtest/gtest.h>

#include "model/io/load_weights.h"
#include "model/nn/state_dict.h"
#include "tests/support/child_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/training_run.h"

namespace mdetr::testing {
namespace {

TEST(InitCheckpointTest, AReferenceLayoutPthIsTheStartingPoint) {
  const std::string dir = MakeTempDir("init-ckpt");
  const std::string pth = dir + "/start.pth";
  const auto exported = RunCommand(BuildDir() + "/bin/mdetr export --config " + SourceDir() +
                                   "/configs/tasks/synthetic_tiny.yaml --synthetic-weights --out " + pth);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;

  // Learning rates of 1e-30: AdamW's one step moves a weight by about 1e-30 (and decays it by
  // lr * wd), so the checkpoint holds what the run started from, to far below float resolution.
  ChildProcess run(TrainCommand(dir + "/run", {"model.init_checkpoint=" + pth, "optim.lr=1e-30",
                                               "optim.lr_backbone=1e-30", "optim.text_encoder_lr=1e-30",
                                               "optim.epochs=1", "run.max_steps=1",
                                               "run.eval_every_epochs=0"}),
                   dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const std::string log = ReadFile(dir + "/run.log");
  EXPECT_NE(log.find("model.init_checkpoint: " + pth), std::string::npos) << log;

  auto file = io::LoadWeights(pth);
  ASSERT_TRUE(file.ok()) << file.status();
  const auto weights = FinalWeights(dir + "/run");
  ASSERT_FALSE(weights.empty());
  size_t compared = 0;
  for (const auto& [name, view] : file->tensors) {
    auto it = weights.find(name);
    if (it == weights.end()) continue;  // buffers the trainer does not checkpoint
    const torch::Tensor expected = model::TensorFromView(view).to(torch::kFloat32);
    ASSERT_TRUE(torch::allclose(it->second.to(torch::kFloat32), expected, /*rtol=*/1e-7, /*atol=*/1e-20)) << name;
    ++compared;
  }
  // Every parameter of the model came from the file.
  EXPECT_GE(compared, weights.size() * 9 / 10) << compared << " of " << weights.size();
}

TEST(InitCheckpointTest, AMissingFileIsABadInputNamingIt) {
  const std::string dir = MakeTempDir("init-ckpt-bad");
  const std::string missing = dir + "/no-such.pth";
  ChildProcess run(TrainCommand(dir + "/run", {"model.init_checkpoint=" + missing, "run.max_steps=1"}),
                   dir + "/run.log");
  EXPECT_EQ(run.Wait(), 2);  // kExitBadInput: the user must fix the config
  const std::string log = ReadFile(dir + "/run.log");
  EXPECT_NE(log.find("model.init_checkpoint"), std::string::npos) << log;
  EXPECT_NE(log.find(missing), std::string::npos) << log;
}

}  // namespace
}  // namespace mdetr::testing
