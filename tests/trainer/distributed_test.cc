// Data parallelism with a real collective library: two Gloo ranks with batch b each must end
// with the same weights as one process with batch 2b.
#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/training_run.h"

namespace mdetr::testing {
namespace {

TEST(DistributedTrainingTest, TwoGlooRanksMatchOneRankWithTwiceTheBatch) {
  const std::string dir = MakeTempDir("ddp");
  // Same-size images without augmentation, and no contrastive alignment loss: the reference's
  // version of that loss takes its logsumexp over the batch's padded text tokens too, so its value
  // depends on the longest caption of each rank's batch. With those, one process with batch 2b
  // and two with b compute the same thing. SGD rather than AdamW: some gradients are zero in exact
  // arithmetic (attention key biases) and Adam turns their rounding noise into full-size steps.
  const std::string data = FixedSizeSyntheticDataDir();
  const std::vector<std::string> common = {"run.max_steps=3", "run.checkpoint_every_steps=0", "run.eval_every_epochs=0",
                                           "data.augment=false", "model.contrastive_align_loss=false",
                                           "optim.optimizer=sgd", "optim.lr=0.01",
                                           "data.train.0.ann_file=" + data + "/train.json",
                                           "data.train.0.images=" + data + "/images"};
  auto single_cmd = TrainCommand(dir + "/single", common);
  single_cmd.insert(single_cmd.end(), {"--set", "optim.batch_size=4"});
  ChildProcess single(single_cmd, dir + "/single.log");
  ASSERT_EQ(single.Wait(), 0) << ReadFile(dir + "/single.log");

  const int port = FreeLocalPort();
  std::vector<std::unique_ptr<ChildProcess>> ranks;
  for (int r = 0; r < 2; ++r) {
    auto cmd = TrainCommand(dir + "/ddp", common);
    cmd.insert(cmd.end(), {"--set", "optim.batch_size=2", "--rank", std::to_string(r), "--world-size", "2",
                           "--master-port", std::to_string(port)});
    ranks.push_back(std::make_unique<ChildProcess>(cmd, dir + "/rank" + std::to_string(r) + ".log"));
  }
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(ranks[static_cast<size_t>(r)]->Wait(), 0) << ReadFile(dir + "/rank" + std::to_string(r) + ".log");
  }

  int64_t step_a = 0, step_b = 0;
  auto a = FinalWeights(dir + "/single", &step_a);
  auto b = FinalWeights(dir + "/ddp", &step_b);
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(step_a, 3);
  EXPECT_EQ(step_b, 3);
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, t] : a) {
    const double scale = std::max(t.abs().max().item<double>(), 1e-6);
    const double rel = (t - b.at(name)).abs().max().item<double>() / scale;
    if (rel > worst) {
      worst = rel;
      worst_name = name;
    }
  }
  EXPECT_LE(worst, 1e-5) << "largest relative difference in " << worst_name;
}

}  // namespace
}  // namespace mdetr::testing
