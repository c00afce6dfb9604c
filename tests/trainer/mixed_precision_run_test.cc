// `mdetr train` with run.precision=bf16 and run.channels_last=true: the same model, data and seed
// train to nearly the same losses as fp32 (bf16 rounds activations to 8 bits of mantissa), and the
// checkpoint holds fp32 weights.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/training_run.h"

namespace mdetr::testing {
namespace {

std::vector<double> StepLosses(const std::string& events_path) {
  std::vector<double> losses;
  std::istringstream lines(ReadFile(events_path));
  for (std::string line; std::getline(lines, line);) {
    const auto ev = nlohmann::json::parse(line, nullptr, false);
    if (!ev.is_discarded() && ev.value("type", "") == "step") losses.push_back(ev.at("loss").get<double>());
  }
  return losses;
}

TEST(MixedPrecisionRunTest, Bf16ChannelsLastTrainsLikeFp32) {
  const std::string dir = MakeTempDir("bf16");
  const std::vector<std::string> common = {"run.max_steps=3", "run.checkpoint_every_steps=0", "run.eval_every_epochs=0",
                                           "run.log_every_steps=1", "optim.batch_size=2", "data.augment=false"};
  ChildProcess fp32(TrainCommand(dir + "/fp32", common), dir + "/fp32.log");
  ASSERT_EQ(fp32.Wait(), 0) << ReadFile(dir + "/fp32.log");
  auto mixed_overrides = common;
  mixed_overrides.insert(mixed_overrides.end(), {"run.precision=bf16", "run.channels_last=true"});
  ChildProcess mixed(TrainCommand(dir + "/bf16", mixed_overrides), dir + "/bf16.log");
  ASSERT_EQ(mixed.Wait(), 0) << ReadFile(dir + "/bf16.log");

  const auto a = StepLosses(dir + "/fp32/events.jsonl"), b = StepLosses(dir + "/bf16/events.jsonl");
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(std::isfinite(b[i]));
    EXPECT_NEAR(b[i], a[i], 0.05 * a[i]) << "step " << i + 1;
  }
  EXPECT_NE(a[0], b[0]) << "bf16 changed nothing: autocast was not on";
  for (const auto& [name, t] : FinalWeights(dir + "/bf16")) EXPECT_EQ(t.scalar_type(), torch::kFloat32) << name;
}

}  // namespace
}  // namespace mdetr::testing
