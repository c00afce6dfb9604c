#include "worker/trainer/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_paths.h"

namespace mdetr::trainer {
namespace {

TrainingState MakeState(int64_t step) {
  TrainingState s;
  s.at = {step, 1, 3};
  s.model["w"] = torch::full({4, 4}, static_cast<float>(step));
  s.ema["w"] = torch::full({4, 4}, 0.5f);
  s.optimizer = "opaque-optimizer-bytes";
  s.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  s.config_yaml = "run: {seed: 1}";
  s.metrics = {{"R@1", 0.25}};
  return s;
}

TEST(CheckpointTest, RoundTripsEveryField) {
  const std::string dir = testing::MakeTempDir("ckpt");
  auto rec = SaveCheckpoint(dir, MakeState(7));
  ASSERT_TRUE(rec.ok()) << rec.status();
  auto st = LoadCheckpoint(*rec);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->at.step, 7);
  EXPECT_EQ(st->at.epoch, 1);
  EXPECT_EQ(st->at.position, 3);
  EXPECT_TRUE(st->model.at("w").equal(torch::full({4, 4}, 7.f)));
  EXPECT_TRUE(st->ema.at("w").equal(torch::full({4, 4}, 0.5f)));
  EXPECT_EQ(st->optimizer, "opaque-optimizer-bytes");
  EXPECT_EQ(st->config_yaml, "run: {seed: 1}");
  EXPECT_DOUBLE_EQ(st->metrics.at("R@1"), 0.25);
  EXPECT_TRUE(st->rng_state.equal(at::detail::getDefaultCPUGenerator().get_state()));
}

TEST(CheckpointTest, CorruptedLatestFallsBackToThePreviousWithAWarning) {
  const std::string dir = testing::MakeTempDir("ckpt");
  ASSERT_TRUE(SaveCheckpoint(dir, MakeState(1)).ok());
  auto last = SaveCheckpoint(dir, MakeState(2));
  ASSERT_TRUE(last.ok());
  std::filesystem::resize_file(last->path, last->bytes / 2);  // truncated, as by a crash mid-copy
  std::vector<std::string> warnings;
  CheckpointRecord chosen;
  auto st = LoadLatestCheckpoint(dir, &warnings, &chosen);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->at.step, 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("checksum mismatch"), std::string::npos) << warnings[0];

  // A flipped byte of the same length is caught too.
  auto again = SaveCheckpoint(dir, MakeState(3));
  ASSERT_TRUE(again.ok());
  {
    std::fstream f(again->path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(again->bytes / 3));
    f.put('\x5a');
  }
  EXPECT_EQ(LoadCheckpoint(*again).status().code(), StatusCode::kDataLoss);
}

TEST(CheckpointTest, RetentionKeepsTheLastKAndTheBest) {
  const std::string dir = testing::MakeTempDir("ckpt");
  std::string best;
  for (int s = 1; s <= 5; ++s) {
    auto r = SaveCheckpoint(dir, MakeState(s));
    ASSERT_TRUE(r.ok());
    if (s == 2) best = r->path;
  }
  PruneCheckpoints(dir, 2, best);
  auto left = ListCheckpoints(dir);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].at.step, 2);
  EXPECT_EQ(left[1].at.step, 4);
  EXPECT_EQ(left[2].at.step, 5);
}

TEST(CheckpointTest, MissingFolderIsNotFound) {
  EXPECT_EQ(LoadLatestCheckpoint("/nonexistent/ckpts", nullptr).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mdetr::trainer
